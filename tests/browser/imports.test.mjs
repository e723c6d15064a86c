// A 信用信息员 uploads a 双公示 file with a bad row in the back office: nothing is written, the
// report names the row and the column, and the page passes axe-core at 1280 and 360 px.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { axeViolations, context, describe, launch, shoot, signIn, structureProblems } from './support.mjs';

const CREDIT = process.env.GONGKAI_E2E_CREDIT ?? 'e2e.credit';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('a decision file with a bad row is reported row by row and nothing is written', async () => {
  const ctx = await context(browser, { bypassCSP: true });
  const page = await ctx.newPage();
  await signIn(page, CREDIT);
  await page.getByRole('link', { name: '批量导入' }).first().click();
  await page.getByRole('heading', { name: '批量导入' }).waitFor();
  const csv =
    '决定类别,行政相对人名称,行政相对人类别,法定代表人,决定文书名称,决定文书号,决定内容,依据,决定日期\n' +
    '行政处罚,浏览器测试商店,法人及非法人组织,王某,行政处罚决定书,浏览器罚〔2026〕1号,警告,《食品安全法》,2099-01-01\n';
  const amr = await page.locator('#ib option', { hasText: '市场监督管理局' }).first().getAttribute('value');
  await page.locator('#ib').selectOption(amr);
  await page.locator('#if').setInputFiles({ name: '决定.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await page.getByRole('button', { name: '上传' }).click();
  const report = page.getByRole('region', { name: /问题清单/ });
  await report.getByText('第2行').first().waitFor();
  assert.ok(await report.getByText('统一社会信用代码').first().isVisible());
  assert.ok(await page.getByRole('status').getByText(/未写入任何数据/).isVisible());
  await shoot(page, 'import-report');
  for (const width of [1280, 360]) {
    await page.setViewportSize({ width, height: 900 });
    const violations = await axeViolations(page);
    assert.deepEqual(violations, [], `axe at ${width}px:\n${violations.map(describe).join('\n')}`);
    assert.deepEqual(await structureProblems(page, width), [], `structure at ${width}px`);
  }
  await ctx.close();
});
