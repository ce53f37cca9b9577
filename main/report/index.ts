export { REPORT_FORMAT, REPORT_VERSION, reportSchema, type Report, type ReportCandidate, type ReportEpoch, type ReportPhase } from './schema';
export { buildReport, reportFromTimeline, type ReportInput, type ReportOptions } from './build';
export { phasesOf } from './phases';
export { toJunitXml } from './junit';
export { CSV_COLUMNS, CSV_HEADER, appendIntervalCsv, intervalCsv, intervalCsvRows } from './csv';
export { humanSummary } from './summary';
export { EXIT_CODES, exitCodeFor, type ExitCode } from './exit-code';
export { escapeXml } from './xml';
export { toVerdictEvent } from './events';
