import type { Command } from 'commander';
import { humanSummary, reportFromTimeline, toJunitXml } from '../../report';
import { thresholdsOf } from '../../session/call-events';
import { profileByName, type ThresholdProfile } from '../../session/thresholds';
import { formatTimelineLoadError, loadTimelineFile } from '../../session/timeline';
import type { Output } from '../output';

interface ReportFlags {
  json?: boolean;
  junit?: boolean;
  thresholds?: string;
}

/**
 * `mediapath report RUN.jsonl`: a saved Timeline opened again gives the report it gave when it
 * ran (the run wrote the thresholds it was judged by into the Timeline; `--thresholds` judges it
 * by another profile instead). A file that does not load names its line and field; exit 2.
 */
export function registerReport(program: Command, o: Output, setExit: (code: number) => void): void {
  program
    .command('report')
    .description('Report on a saved run (a Timeline .jsonl): phases, paths, per-epoch figures, diagnoses, verdict.')
    .argument('<timeline>', 'the run\'s Timeline (JSON Lines)')
    .option('--json', 'print the JSON report')
    .option('--junit', 'print JUnit XML')
    .option('--thresholds <profile>', 'judge by this profile instead of the one the run used')
    .action(async (file: string, f: ReportFlags) => {
      const loaded = await loadTimelineFile(file);
      if (!loaded.ok) {
        o.err(`mediapath report: ${formatTimelineLoadError(loaded.error)}\n`);
        setExit(2);
        return;
      }
      let profile: ThresholdProfile | undefined = thresholdsOf(loaded.value.events);
      if (f.thresholds !== undefined) {
        const p = profileByName(f.thresholds);
        if (!p.ok) {
          o.err(`mediapath report: --thresholds: ${p.error}\n`);
          setExit(2);
          return;
        }
        profile = p.value;
      }
      const report = reportFromTimeline(loaded.value, profile ? { profile } : {});
      if (f.json) o.out(JSON.stringify(report, null, 2) + '\n');
      else if (f.junit) o.out(toJunitXml(report));
      else o.out(humanSummary(report));
      setExit(report.exitCode);
    });
}
