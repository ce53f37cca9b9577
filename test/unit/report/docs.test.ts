import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CSV_COLUMNS, reportSchema } from '../../../main/report';
import { reportEpochSchema } from '../../../main/report/schema';

const text = readFileSync(path.resolve(__dirname, '../../../docs/report-schema.md'), 'utf8');

describe('docs/report-schema.md', () => {
  it('names every top-level field, every epoch field and every CSV column', () => {
    for (const k of Object.keys(reportSchema.shape)) expect(text, k).toContain(`\`${k}\``);
    for (const k of Object.keys(reportEpochSchema.shape)) expect(text, k).toMatch(new RegExp(`\\b${k}\\b`));
    for (const c of CSV_COLUMNS) expect(text, c).toContain(`\`${c}\``);
  });
});
