// 公示: a citizen opens the school's 评优 result from its item page, sees 公示中 with the end date,
// and files an objection; the receipt shows its number; the village's land contract shows its
// 四议两公开 step by step with the published result; a school's 信息员 records the 校委会 proposal
// and the 教代会 approval in the back office (a record without a vote is refused, the input kept)
// and the 评优 公示 cites them. The pages pass axe-core at 1280 and 360 px.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { BASE, accessible, context, launch, signIn } from './support.mjs';

const SCHOOL = process.env.GONGKAI_E2E_SCHOOL ?? 'e2e.school';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('a citizen objects to a notice in its period and gets a receipt', async () => {
  const list = await (await fetch(`${BASE}/api/v1/items?limit=100`)).json();
  const item = list.items.find((i) => i.title === '关于2026年度优秀教师评选结果的公示');
  assert.ok(item, 'the demo notice is published');
  const ctx = await context(browser, { bypassCSP: true });
  const page = await ctx.newPage();
  await page.goto(`${BASE}/items/${item.id}`);
  await page.getByRole('link', { name: '查看公示情况、提出异议' }).click();
  await page.getByRole('heading', { name: '公示中' }).waitFor();
  assert.ok(await page.getByText(/公示期：.*（5个工作日）/).isVisible());
  await accessible(page, 'notice-open');
  await page.getByLabel('姓名（必填，不公开）').fill('浏览器测试');
  await page.getByLabel('联系电话或电子邮箱（必填，不公开）').fill('13900009999');
  await page.getByLabel('异议内容和理由（必填，不超过2000字）').fill('请核实评选程序。');
  await page.getByRole('button', { name: '提交异议' }).click();
  await page.getByRole('heading', { name: '异议已收到' }).waitFor();
  assert.match(await page.getByRole('status').innerText(), /编号 YY\d+/);
  await accessible(page, 'notice-receipt');
  await ctx.close();
});

test('a villager reads the four deliberations and the result of a land contract', async () => {
  const list = await (await fetch(`${BASE}/api/v1/notices`)).json();
  const notice = list.notices.find((n) => n.title === '青山村集体机动地对外发包方案公示');
  assert.ok(notice, 'the demo village notice is published');
  const ctx = await context(browser, { bypassCSP: true });
  const page = await ctx.newPage();
  await page.goto(`${BASE}/items/${notice.item_id}/notice`);
  await page.getByRole('heading', { name: '决策程序：村级重大事项“四议两公开”' }).waitFor();
  for (const step of ['村党组织提议', '村“两委”会议商议', '党员大会审议', '村民会议或村民代表会议决议']) {
    assert.ok(await page.getByText(new RegExp(`${step}：已完成`)).isVisible(), step);
  }
  await accessible(page, 'notice-village');
  await page.getByRole('link', { name: '青山村集体机动地对外发包实施结果公告' }).click();
  await page.getByRole('heading', { name: '青山村集体机动地对外发包实施结果公告' }).waitFor();
  await ctx.close();
});

test('a school records the proposal and the approval, and its 公示 shows both', async () => {
  const list = await (await fetch(`${BASE}/api/v1/notices`)).json();
  const notice = list.notices.find((n) => n.title === '关于2026年度优秀教师评选结果的公示');
  assert.ok(notice, 'the demo school notice is published');
  const ctx = await context(browser, { bypassCSP: true });
  const page = await ctx.newPage();
  await signIn(page, SCHOOL);
  await page.goto(`${BASE}/admin/decisions?body=${notice.body_id}`);
  await page.getByRole('heading', { name: '登记决策' }).waitFor();
  await accessible(page, 'decisions');
  const today = new Date().toISOString().slice(0, 10);
  const fill = async (kind, motion, attendees) => {
    await page.getByLabel('会议类型').selectOption({ label: kind });
    await page.getByLabel('会议日期').fill(today);
    await page.getByLabel('表决事项').fill(motion);
    await page.getByLabel('参会人员（每行一人）').fill(attendees.join('\n'));
  };
  await fill('校务委员会会议（校委会）', '提议增补赵敏同志为优秀班主任人选', ['校长', '副校长', '教务主任']);
  // No vote: the browser's own check stops an empty field, so send zeros the server refuses.
  for (const label of ['赞成', '反对', '弃权']) await page.getByLabel(label, { exact: true }).fill('0');
  await page.getByRole('button', { name: '登记', exact: true }).click();
  await page.getByRole('alert').filter({ hasText: '没有表决结果的会议不能作为决策记录' }).waitFor();
  assert.equal(await page.getByLabel('表决事项').inputValue(), '提议增补赵敏同志为优秀班主任人选');
  await page.getByLabel('赞成', { exact: true }).fill('3');
  await page.getByRole('button', { name: '登记', exact: true }).click();
  await page.getByRole('heading', { name: '提议增补赵敏同志为优秀班主任人选' }).waitFor();
  await page.goto(`${BASE}/admin/decisions?body=${notice.body_id}`);
  await fill('教职工代表大会（教代会）', '审议通过增补赵敏同志为优秀班主任', ['代表甲', '代表乙', '代表丙', '代表丁']);
  await page.getByLabel('赞成', { exact: true }).fill('4');
  await page.getByLabel('反对', { exact: true }).fill('0');
  await page.getByLabel('弃权', { exact: true }).fill('0');
  await page.getByLabel(/前序决策/).selectOption({ label: `${today} 校务委员会会议（校委会）：提议增补赵敏同志为优秀班主任人选` });
  await page.getByRole('button', { name: '登记', exact: true }).click();
  await page.getByRole('heading', { name: '决策过程' }).waitFor();
  await accessible(page, 'decision-chain');
  // A 公示 of the school (starting tomorrow) cites the approval; its public page shows the
  // chain and the school's procedure.
  const items = await (await fetch(`${BASE}/api/v1/items?body=${notice.body_id}&limit=100`)).json();
  const fees = items.items.find((i) => i.title.includes('收费项目及标准'));
  assert.ok(fees, 'the school publishes its fees');
  await page.goto(`${BASE}/admin/items/${fees.id}/notice`);
  const tomorrow = new Date(Date.now() + 2 * 86400000).toISOString().slice(0, 10);
  await page.getByLabel('开始日期').fill(tomorrow);
  await page.getByRole('button', { name: '保存公示期' }).click();
  await page.getByLabel('决策记录').waitFor();
  await page.getByLabel('决策记录').selectOption({ label: `${today} 教职工代表大会（教代会）：审议通过增补赵敏同志为优秀班主任` });
  await page.getByRole('button', { name: '保存', exact: true }).click();
  await page.waitForLoadState();
  await page.goto(`${BASE}/items/${fees.id}/notice`);
  await page.getByRole('heading', { name: '决策程序：学校重大事项民主决策' }).waitFor();
  assert.ok(await page.getByText(/校务委员会提出方案：已完成/).isVisible());
  assert.ok(await page.getByText(/教职工代表大会审议通过：已完成/).isVisible());
  assert.ok(await page.getByText(/教职工代表大会（教代会）表决通过：赞成4票/).isVisible());
  await ctx.close();
});
