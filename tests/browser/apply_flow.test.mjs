// 依申请公开 end to end in a real browser: an applicant applies on the public form, staff take
// the case and record the receipt's delivery, request a 补正, the applicant submits it in the
// tracking view, staff reply, and the applicant sees the reply with the appeal routes.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { BASE, accessibilityViolations, context, launch, shoot, signIn } from './support.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const DESCRIPTION = '2025年示例县城区道路改造工程的招标文件';

test('apply → take the case → 补正 → applicant corrects → reply → applicant sees it', async () => {
  // The applicant, in their own browser.
  const applicant = await context(browser);
  const ap = await applicant.newPage();
  const cspErrors = [];
  ap.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) cspErrors.push(m.text());
  });
  await ap.goto('/apply');
  await shoot(ap, 'apply');
  await ap.locator('#body_id').selectOption({ label: '示例县人民政府' });
  await ap.locator('#name').fill('张卫东');
  await ap.locator('#id_number').fill('11010519491231002X');
  await ap.locator('#phone').fill('13800138000');
  await ap.locator('#description').fill('道路');
  await ap.getByRole('button', { name: '提交申请' }).click();
  // Bad input: the form comes back with the input kept and the reason in Chinese.
  await assert.doesNotReject(ap.getByText('至少5个字').waitFor());
  assert.equal(await ap.locator('#name').inputValue(), '张卫东');
  await ap.locator('#description').fill(DESCRIPTION);
  await ap.getByRole('button', { name: '提交申请' }).click();
  await ap.getByRole('heading', { name: '申请已收到' }).waitFor();
  await shoot(ap, 'receipt');
  const number = (await ap.locator('tr', { hasText: '申请编号' }).locator('strong.code').innerText()).trim();
  const secret = (await ap.locator('tr', { hasText: '查询密码' }).locator('strong.code').innerText()).trim();
  assert.match(number, /^\d{8}-\d{6}$/);
  assert.match(secret, /^[A-Z0-9]{4}(-[A-Z0-9]{4}){3}$/);

  // Staff sign in (TOTP enrolled on the first sign-in) and find the case.
  const office = await context(browser);
  const st = await office.newPage();
  await signIn(st);
  await st.goto('/admin/applications?tab=open');
  await st.getByRole('link', { name: number }).click();
  await st.getByRole('heading', { name: new RegExp(`申请 ${number}`) }).waitFor();
  // Take the case, and record that the 登记回执 was delivered online.
  await st.locator('#kind').selectOption('assign_me');
  await st.locator('form', { has: st.locator('#kind') }).getByRole('button', { name: '登记' }).click();
  await st.getByText('已办理：assign_me').waitFor();
  await st.locator('#delivery_notice').selectOption('receipt');
  await st.locator('#delivery_how').selectOption('online');
  await st.getByRole('button', { name: '登记送达' }).click();
  await st.getByText('已办理：送达记录').waitFor();
  assert.ok(await st.locator('table', { hasText: '送达日期' }).getByText('在线查看').isVisible());
  await shoot(st, 'case-handling');

  // Request a 补正.
  await st.locator('#kind').selectOption('correction_requested');
  await st.locator('#note').fill('请写明所需招标文件的标段名称');
  await st.locator('form', { has: st.locator('#kind') }).getByRole('button', { name: '登记' }).click();
  await st.getByText('已办理：correction_requested').waitFor();
  await shoot(st, 'case-correcting');

  // The applicant looks the case up and submits the 补正 online.
  await ap.goto('/track');
  await ap.locator('#number').fill(number);
  await ap.locator('#secret').fill(secret);
  await ap.getByRole('button', { name: '查询' }).click();
  await ap.getByText('补正中').first().waitFor();
  assert.ok(await ap.getByText('请写明所需招标文件的标段名称').isVisible());
  await shoot(ap, 'track-correcting');
  await ap.locator('#text').fill('城区人民路改造工程第二标段的招标文件');
  await ap.getByRole('button', { name: '提交补正' }).click();
  await ap.getByText('补正材料已提交').waitFor();

  // Staff see the correction and reply.
  await st.reload();
  await st.getByText('城区人民路改造工程第二标段的招标文件').waitFor();
  await st.locator('#reply').selectOption('disclosed');
  await st.locator('#reply-text').fill('现将第二标段招标文件电子版提供给您，请在本网站下载。');
  await st.getByRole('button', { name: '作出答复' }).click();
  await st.getByText('已办理：reply').waitFor();
  await st.getByRole('heading', { name: /已答复/ }).waitFor();
  await shoot(st, 'case-replied');

  // The applicant sees the reply, the appeal routes, and can download the reply notice.
  await ap.goto('/track');
  await ap.locator('#number').fill(number);
  await ap.locator('#secret').fill(secret);
  await ap.getByRole('button', { name: '查询' }).click();
  await ap.getByText('已答复').first().waitFor();
  assert.ok(await ap.getByText('现将第二标段招标文件电子版提供给您').isVisible());
  assert.ok(await ap.getByText(/60日内.*行政复议.*6个月内.*行政诉讼/).first().isVisible());
  await shoot(ap, 'track-replied');
  const reply = ap.locator('form', { hasText: '答复告知书' });
  const [download] = await Promise.all([
    ap.waitForEvent('download'),
    reply.getByRole('button', { name: 'Word' }).click(),
  ]);
  assert.match(download.suggestedFilename(), /答复告知书.*\.docx$/);

  assert.deepEqual(cspErrors, [], 'no page breaks the Content Security Policy');
  await applicant.close();
  await office.close();
});

test('the public form and the tracking page have no serious accessibility violations', async () => {
  for (const url of [`${BASE}/apply`, `${BASE}/track`]) {
    const v = await accessibilityViolations(browser, url);
    assert.deepEqual(v, [], `${url}:\n${v.join('\n')}`);
  }
});
