import type { Command } from 'commander';
import { MediapathError } from '../../common/errors';
import { CODECS, type CodecName } from '../../media/codecs';
import { ICE_SCENARIOS, type IceScenarioName } from '../../lab/ice-scenarios';
import { runIceMedia, type IceMediaResult } from '../../lab/media-ice';
import { runIceMatrix, type IceMatrixResult, type MatrixMode } from '../../lab/media-matrix';
import { LAB_TOLERANCE, runMediaLab, type LabDirection, type MediaLabResult } from '../../lab/media-lab';
import type { PathEpochReport } from '../../media/stream';
import type { Output } from '../output';

interface LabMediaFlags {
  loss: string;
  burst?: string;
  delay: string;
  jitter: string;
  reorder: string;
  reorderDelay?: string;
  duplicate: string;
  seed: string;
  duration: string;
  path: string;
  network: string;
  codec: string;
  ptime?: string;
  rtcpInterval: string;
  jb?: string;
  ice?: string;
  strategy: string;
  matrix?: string | boolean;
  perPath?: string;
  degrade?: string;
  json?: boolean;
}

function usage(message: string): MediapathError {
  return new MediapathError('CLI_USAGE', message, { layer: 'cli' });
}

function num(name: string, text: string | undefined, lo: number, hi: number, integer = false): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (!Number.isFinite(v) || v < lo || v > hi || (integer && !Number.isInteger(v))) throw usage(`--${name} must be ${integer ? 'an integer ' : ''}${lo}–${hi}, got "${text}"`);
  return v;
}

const fmt = (v: number | null, digits: number): string => (v === null ? 'n/a' : v.toFixed(digits));
const signed = (v: number | null, digits: number): string => (v === null ? 'n/a' : `${v >= 0 ? '+' : ''}${v.toFixed(digits)}`);
const mark = (ok: boolean): string => (ok ? 'ok' : 'OUT');

function directionLines(title: string, d: LabDirection): string[] {
  const row = (name: string, t: string, m: string, e: string, tol: string, ok: boolean): string =>
    `  ${name.padEnd(11)} ${t.padStart(10)} ${m.padStart(10)} ${e.padStart(9)}   ${tol.padEnd(30)} ${mark(ok)}`;
  return [
    `${title}`,
    row('loss %', fmt(d.truth.lossPct, 2), fmt(d.measured.lossPct, 2), signed(d.errors.lossPct, 2), `exact (${d.truth.lost}/${d.truth.sent} vs ${d.measured.lost}/${d.measured.expected})`, d.withinTolerance.loss),
    row('jitter ms', fmt(d.truth.jitterMs, 2), fmt(d.measured.jitterMs, 2), signed(d.errors.jitterMs, 2), `5 % or ${LAB_TOLERANCE.jitterAbsMs} ms (stream mean)`, d.withinTolerance.jitter),
    row('RTT ms', fmt(d.truth.rttMs, 2), fmt(d.measured.rttMs, 2), signed(d.errors.rttMs, 2), `${LAB_TOLERANCE.rttMs} ms (+${d.overheadMs.toFixed(2)} ms/way loopback)`, d.withinTolerance.rtt),
    row('MOS', fmt(d.truth.mos, 3), fmt(d.measured.mos, 3), signed(d.errors.mos, 3), `${LAB_TOLERANCE.mos}`, d.withinTolerance.mos),
  ];
}

function printHuman(r: MediaLabResult, o: Output): void {
  const c = r.config;
  const L: string[] = [];
  const where = r.network === 'real' ? 'real sockets on loopback, real clock' : 'virtual network, fake clock';
  L.push(`mediapath lab media: ${where}; ${r.path} path${r.relay ? ` (caller relayed by ${r.relay.kind} ${r.relay.server} as ${r.relay.relayed})` : ''}; seed ${c.seed}; ${c.durationS} s each way`);
  L.push(`  stream: ${c.codec}/${c.ptimeMs} ms with RTCP every ${c.rtcpIntervalMs} ms; fixed jitter buffer ${c.jitterBufferMs} ms`);
  L.push(
    `  impairment, each direction (forwarder ${r.forwarder.sideA} ⇄ ${r.forwarder.sideB}): loss ${c.lossPct} %${c.burst ? ` in bursts of ${c.burst}` : ''}, delay ${c.delayMs} ms, jitter ${c.jitterMs} ms` +
      `${c.reorderPct ? `, reorder ${c.reorderPct} % by ${c.reorderDelayMs} ms` : ''}${c.duplicatePct ? `, duplicates ${c.duplicatePct} %` : ''}`,
  );
  L.push(`  ${''.padEnd(11)} ${'truth'.padStart(10)} ${'measured'.padStart(10)} ${'error'.padStart(9)}   tolerance`);
  L.push(...directionLines('caller → callee', r));
  L.push(...directionLines('callee → caller', r.reverse));
  L.push(`pacing (this process's own send jitter): p50 ${r.sendJitterP50Ms.toFixed(2)} ms, p99 ${r.sendJitterP99Ms.toFixed(2)} ms, max ${r.sendJitterMaxMs.toFixed(2)} ms over ${r.sendJitter.samples} packets`);
  if (r.disturbed) L.push(`warning: ${r.disturbance}; the figures may show this machine's load, not the path: rerun on a quieter machine`);
  L.push(r.ok ? 'measured figures match the truth within tolerance' : 'NOT within tolerance (see OUT above)');
  o.out(L.join('\n') + '\n');
}

function epochLines(title: string, rows: readonly PathEpochReport[]): string[] {
  const L = [title, `  ${'epoch'.padEnd(5)} ${'path'.padEnd(6)} ${'from ms'.padStart(8)} ${'to ms'.padStart(8)} ${'sent'.padStart(6)} ${'lost'.padStart(5)} ${'loss %'.padStart(7)} ${'jitter'.padStart(7)} ${'RTT ms'.padStart(7)} ${'MOS'.padStart(5)}  reason / pair`];
  for (const e of rows) {
    if (e.sent === 0 && e.path === null) continue;
    L.push(
      `  ${String(e.epoch).padEnd(5)} ${(e.path?.kind ?? '-').padEnd(6)} ${e.startMs.toFixed(0).padStart(8)} ${e.endMs.toFixed(0).padStart(8)} ${String(e.sent).padStart(6)} ${String(e.lost).padStart(5)} ${e.lossPct.toFixed(2).padStart(7)}` +
        ` ${(e.networkJitterMs ?? e.jitterMs).toFixed(2).padStart(7)} ${(e.rttMs === undefined ? '-' : e.rttMs.toFixed(1)).padStart(7)} ${(e.mos === undefined ? '-' : e.mos.toFixed(2)).padStart(5)}  ${e.reason}: ${e.path?.label ?? '(no path)'}`,
    );
  }
  return L;
}

function printIceMedia(r: IceMediaResult, o: Output): void {
  const s = r.scenario;
  const L = [`ICE scenario ${s.scenario} (${s.strategy}, seed ${s.seed}) on the virtual network, media both ways, one epoch per path (times in virtual ms)`];
  L.push(...epochLines('caller → callee', r.callerToCallee));
  L.push(...epochLines('callee → caller', r.calleeToCaller));
  const rx = r.callee.received?.figures;
  L.push(`caller sent ${r.caller.sent.packets} (held back ${r.caller.sent.heldBack} while no pair was selected); callee accounted for ${rx ? rx.expected : 0} (${rx ? rx.lost : 0} lost)`);
  L.push(s.ok ? `  ICE reached the expected ${s.expected.path} path` : `  ICE did NOT reach the expected path${s.error ? `: ${s.error.code} ${s.error.message}` : ''}`);
  o.out(L.join('\n') + '\n');
}

function printMatrix(r: IceMatrixResult, o: Output): void {
  const s = r.scenario;
  const how = r.mode === 'parallel' ? 'all at once' : 'one after the other';
  const L = [
    `ICE scenario ${s.scenario} (${s.strategy}, seed ${s.seed}) on the virtual network: path matrix, ${r.rows.length} valid path${r.rows.length === 1 ? '' : 's'} probed ${how}, ${(r.perPathMs / 1000).toFixed(1)} s each (virtual time)`,
  ];
  const dir = (e: PathEpochReport | null): string =>
    e
      ? `${String(e.sent).padStart(5)} ${String(e.lost).padStart(5)} ${e.lossPct.toFixed(2).padStart(6)} ${(e.networkJitterMs ?? e.jitterMs).toFixed(2).padStart(6)} ${(e.rttMs === undefined ? '-' : e.rttMs.toFixed(1)).padStart(6)} ${(e.mos === undefined ? '-' : e.mos.toFixed(2)).padStart(5)}`
      : `${'(nothing came back)'.padEnd(39)}`;
  const head = `${'sent'.padStart(5)} ${'lost'.padStart(5)} ${'loss %'.padStart(6)} ${'jitter'.padStart(6)} ${'RTT ms'.padStart(6)} ${'MOS'.padStart(5)}`;
  L.push(`  ${'#'.padStart(2)} ${'path'.padEnd(6)} ${'sel'.padEnd(3)}  ${'caller → callee'.padEnd(39)}   ${'callee → caller'.padEnd(39)}   caller's pair`);
  L.push(`  ${''.padStart(2)} ${''.padEnd(6)} ${''.padEnd(3)}  ${head}   ${head}`);
  for (const row of r.rows) {
    L.push(`  ${String(row.index).padStart(2)} ${row.path.kind.padEnd(6)} ${(row.selected ? 'yes' : '').padEnd(3)}  ${dir(row.callerToCallee)}   ${dir(row.calleeToCaller)}   ${row.path.label}`);
  }
  if (r.skippedPaths) L.push(`  (${r.skippedPaths} further valid path${r.skippedPaths === 1 ? '' : 's'} not probed)`);
  const off = r.rows.reduce((k, x) => k + x.offPath.caller + x.offPath.callee, 0);
  if (off || r.unattributed.caller || r.unattributed.callee) L.push(`  ${off} datagrams arrived on another pair than their row's; unattributed: caller ${r.unattributed.caller}, callee ${r.unattributed.callee}`);
  L.push(`  the call itself selected ${s.selected ? `a ${s.selected.path} path` : 'no path'}${s.ok ? ' (as expected)' : ''}`);
  o.out(L.join('\n') + '\n');
}

/** `--degrade PEER:PCT`: loss on the callee's own link for packets from and to PEER (one path only). */
function parseDegrade(text: string | undefined): { peer: string; loss: number } | undefined {
  if (text === undefined) return undefined;
  const m = /^([0-9a-fA-F.:]+(?:\/\d{1,3})?):(\d+(?:\.\d+)?)$/.exec(text);
  const pct = m ? Number(m[2]) : NaN;
  if (!m || !(pct >= 0 && pct <= 100)) throw usage(`--degrade must be PEER:PCT (e.g. 10.1.0.11:20), got "${text}"`);
  return { peer: m[1]!, loss: pct / 100 };
}

/** `mediapath lab media`: a call-shaped stream through the impairment forwarder, measured against its record. */
export function registerLabMedia(program: Command, o: Output, setExit: (code: number) => void): void {
  const lab = program.commands.find((c) => c.name() === 'lab') ?? program.command('lab').description('Run field scenarios in the embedded lab.');
  lab
    .command('media')
    .description('Synthetic RTP/RTCP both ways through a seeded impairment forwarder: measured loss, jitter, RTT and MOS next to the truth')
    .option('--loss <pct>', 'packet loss in percent, each direction', '0')
    .option('--burst <len>', 'mean loss burst length in packets (Gilbert-Elliott)')
    .option('--delay <ms>', 'one-way delay, each direction', '0')
    .option('--jitter <ms>', 'extra one-way delay, uniform in [0, jitter)', '0')
    .option('--reorder <pct>', 'percent of packets held back so later ones overtake them', '0')
    .option('--reorder-delay <ms>', 'how long a reordered packet is held (default jitter + 3 packet times)')
    .option('--duplicate <pct>', 'percent of packets delivered twice', '0')
    .option('--seed <n>', 'seed of every impairment decision', '1')
    .option('--duration <s>', 'seconds of media each way', '10')
    .option('--path <host|relay>', 'relay: the caller sends through a TURN relay (coturn on loopback; the lab TURN server with --network virtual)', 'host')
    .option('--network <real|virtual>', 'real sockets and clock, or the virtual network in fake time', 'real')
    .option('--codec <name>', `codec to imitate: ${Object.keys(CODECS).join(', ')}`, 'PCMU')
    .option('--ptime <ms>', 'packet time, 10–60 ms')
    .option('--rtcp-interval <ms>', 'RTCP report interval', '1000')
    .option('--jb <ms>', 'fixed jitter buffer depth (default jitter + 30)')
    .option('--ice <scenario>', `instead: media both ways over an ICE scenario on the virtual network, split per path (${ICE_SCENARIOS.join(', ')})`)
    .option('--strategy <lync|rfc8445>', 'ICE strategy with --ice', 'lync')
    .option('--matrix [mode]', 'with --ice: probe every valid pair, "parallel" (at once, the default) or "sequential" (in turn), figures side by side')
    .option('--per-path <s>', 'with --matrix: seconds of probing per path (default 4 at once, 2 in turn)')
    .option('--degrade <peer:pct>', "with --matrix: loss in percent on the callee's link to and from PEER only (e.g. 10.1.0.11:20 degrades the direct LAN path)")
    .option('--json', 'print one JSON object on stdout')
    .action(async (f: LabMediaFlags) => {
      try {
        if (f.ice !== undefined) {
          if (!ICE_SCENARIOS.includes(f.ice as IceScenarioName)) throw usage(`--ice must be one of ${ICE_SCENARIOS.join(', ')}, got "${f.ice}"`);
          if (f.strategy !== 'lync' && f.strategy !== 'rfc8445') throw usage(`--strategy must be lync or rfc8445, got "${f.strategy}"`);
          if (!(f.codec in CODECS)) throw usage(`--codec must be one of ${Object.keys(CODECS).join(', ')}, got "${f.codec}"`);
          if (f.matrix !== undefined) {
            const mode = f.matrix === true ? 'parallel' : f.matrix;
            if (mode !== 'parallel' && mode !== 'sequential') throw usage(`--matrix must be parallel or sequential, got "${String(mode)}"`);
            const perPathS = num('per-path', f.perPath, 0.2, 600);
            const degrade = parseDegrade(f.degrade);
            const m = await runIceMatrix(f.ice as IceScenarioName, {
              strategy: f.strategy,
              seed: num('seed', f.seed, 0, 0xffffffff, true)!,
              codec: f.codec as CodecName,
              rtcpIntervalMs: num('rtcp-interval', f.rtcpInterval, 100, 60_000)!,
              mode: mode as MatrixMode,
              ...(perPathS !== undefined ? { perPathMs: perPathS * 1000 } : {}),
              ...(degrade ? { impair: { callee: [{ match: { peer: degrade.peer }, loss: degrade.loss }] } } : {}),
            });
            const ok = !m.scenario.error && m.rows.length > 0;
            if (f.json) o.out(JSON.stringify({ ok, mode: m.mode, settleMs: m.settleMs, perPathMs: m.perPathMs, rows: m.rows, skippedPaths: m.skippedPaths, unattributed: m.unattributed, scenario: m.scenario }, null, 2) + '\n');
            else printMatrix(m, o);
            setExit(ok ? 0 : 1);
            return;
          }
          if (f.perPath !== undefined || f.degrade !== undefined) throw usage('--per-path and --degrade go with --matrix');
          const r = await runIceMedia(f.ice as IceScenarioName, {
            strategy: f.strategy,
            seed: num('seed', f.seed, 0, 0xffffffff, true)!,
            codec: f.codec as CodecName,
            rtcpIntervalMs: num('rtcp-interval', f.rtcpInterval, 100, 60_000)!,
          });
          if (f.json) o.out(JSON.stringify({ ok: r.scenario.ok, scenario: r.scenario, callerToCallee: r.callerToCallee, calleeToCaller: r.calleeToCaller, caller: r.caller, callee: r.callee }, null, 2) + '\n');
          else printIceMedia(r, o);
          setExit(r.scenario.ok ? 0 : 1);
          return;
        }
        if (f.matrix !== undefined || f.perPath !== undefined || f.degrade !== undefined) throw usage('--matrix, --per-path and --degrade go with --ice');
        if (f.path !== 'host' && f.path !== 'relay') throw usage(`--path must be host or relay, got "${f.path}"`);
        if (f.network !== 'real' && f.network !== 'virtual') throw usage(`--network must be real or virtual, got "${f.network}"`);
        if (!(f.codec in CODECS)) throw usage(`--codec must be one of ${Object.keys(CODECS).join(', ')}, got "${f.codec}"`);
        const burst = num('burst', f.burst, 1, 1000);
        const reorderDelayMs = num('reorder-delay', f.reorderDelay, 0, 5000);
        const ptimeMs = num('ptime', f.ptime, 10, 60, true);
        const jitterBufferMs = num('jb', f.jb, 0, 5000);
        const r = await runMediaLab({
          lossPct: num('loss', f.loss, 0, 100)!,
          ...(burst !== undefined ? { burst } : {}),
          delayMs: num('delay', f.delay, 0, 5000)!,
          jitterMs: num('jitter', f.jitter, 0, 5000)!,
          reorderPct: num('reorder', f.reorder, 0, 100)!,
          ...(reorderDelayMs !== undefined ? { reorderDelayMs } : {}),
          duplicatePct: num('duplicate', f.duplicate, 0, 100)!,
          seed: num('seed', f.seed, 0, 0xffffffff, true)!,
          durationS: num('duration', f.duration, 0.5, 3600)!,
          path: f.path,
          network: f.network,
          codec: f.codec as CodecName,
          ...(ptimeMs !== undefined ? { ptimeMs } : {}),
          rtcpIntervalMs: num('rtcp-interval', f.rtcpInterval, 100, 60_000)!,
          ...(jitterBufferMs !== undefined ? { jitterBufferMs } : {}),
          ...(f.json ? {} : { onProgress: (line: string) => o.err(`${line}\n`) }),
        });
        if (f.json) o.out(JSON.stringify(r, null, 2) + '\n');
        else printHuman(r, o);
        setExit(r.ok ? 0 : 1);
      } catch (e) {
        const err = e instanceof MediapathError ? e : new MediapathError('INTERNAL', String((e as Error)?.message ?? e), { layer: 'cli' });
        if (f.json) o.out(JSON.stringify({ ok: false, error: err.toInfo() }, null, 2) + '\n');
        else o.err(`mediapath lab media: ${err.code}: ${err.message}\n`);
        setExit(err.code === 'CLI_USAGE' || err.code === 'INVALID_ARGUMENT' ? 2 : 1);
      }
    });
}
