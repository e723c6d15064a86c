// 重点工作 and 为群众办实事: a citizen opens the 办实事 list and a commitment with its progress, its
// flow chart (an SVG image with its own title and description), the steps with the overdue one
// marked, and the timeline; a 信息员 opens the county's key work and its chart in the back
// office. Every page passes axe-core at 1280 and 360 px.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { BASE, accessible, context, launch, signIn } from './support.mjs';

const PLANNER = process.env.GONGKAI_E2E_PLANNER ?? 'e2e.planner';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('a citizen follows a commitment: progress, flow chart, overdue step, timeline', async () => {
  const ctx = await context(browser, { bypassCSP: true });
  const page = await ctx.newPage();
  await page.goto(`${BASE}/`);
  await page.getByRole('link', { name: '办实事', exact: true }).first().click();
  await page.getByRole('heading', { name: /正在办理/ }).waitFor();
  await accessible(page, 'commitments');
  await page.getByRole('link', { name: '东门社区老旧住宅加装电梯' }).click();
  await page.getByRole('heading', { name: '工作流程图' }).waitFor();
  const chart = page.getByRole('img', { name: '东门社区老旧住宅加装电梯的工作流程图' });
  assert.ok(await chart.isVisible());
  assert.equal(await page.locator('svg.flowchart g.step').count(), 4);
  assert.equal(await page.locator('svg.flowchart g.step.overdue').count(), 1);
  const late = page.getByRole('row').filter({ hasText: '设计方案和规划报批' });
  assert.match(await late.innerText(), /已超期/);
  assert.ok(await page.getByText(/同意率91.7%/).isVisible());
  await accessible(page, 'commitment');
  // The finished one shows its result.
  await page.goto(`${BASE}/commitments`);
  await page.getByRole('link', { name: '南苑社区日间照料中心建成运营' }).click();
  await page.getByRole('heading', { name: '办理结果' }).waitFor();
  await accessible(page, 'commitment-done');
  await ctx.close();
});

test('a 信息员 opens the county’s key work with its steps and chart', async () => {
  const ctx = await context(browser, { bypassCSP: true });
  const page = await ctx.newPage();
  await signIn(page, PLANNER);
  await page.getByRole('link', { name: '重点工作', exact: true }).first().click();
  await page.getByRole('heading', { name: '重点工作和承诺事项' }).waitFor();
  await accessible(page, 'works-list');
  await page.getByRole('link', { name: '各部门政务公开标准目录梳理' }).click();
  await page.getByRole('heading', { name: '增加环节' }).waitFor();
  assert.ok(await page.getByRole('img', { name: /标准目录梳理的工作流程图/ }).isVisible());
  await accessible(page, 'works-view');
  await ctx.close();
});
