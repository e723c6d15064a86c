//! E-mail to writers of answered letters, when an SMTP relay is configured (`mail.smtp_host`).
//! The reply is committed first and is on the tracking page at once; the e-mail follows from a
//! background pass that picks up every answered letter not yet mailed, so a relay that is down
//! delays the e-mail and loses nothing. A 举报 is never mailed (its contact is in the envelope).

use lettre::message::{Mailbox, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::AppState;
use crate::handlers::admin::today;

/// Start the mail pass, if an SMTP relay is configured.
pub fn spawn(state: AppState) -> Option<tokio::task::JoinHandle<()>> {
    let smtp = state.config.smtp.clone()?;
    let mut b =
        AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(smtp.host.clone()).port(smtp.port);
    if !smtp.username.is_empty() {
        b = b.credentials(Credentials::new(
            smtp.username.clone(),
            smtp.password.clone(),
        ));
    }
    let transport = b.build();
    let every = std::time::Duration::from_millis(state.config.mail_every_ms.max(50));
    Some(tokio::spawn(async move {
        loop {
            if let Err(e) = pass(&state, &transport, &smtp.from).await {
                tracing::warn!(error = %e, "mailing answered letters failed; will retry");
            }
            tokio::time::sleep(every).await;
        }
    }))
}

/// Mail every answered letter not yet mailed; stops at the first failure (retried next pass).
async fn pass(
    state: &AppState,
    transport: &AsyncSmtpTransport<Tokio1Executor>,
    from: &str,
) -> Result<(), String> {
    let from: Mailbox = from
        .parse()
        .map_err(|e| format!("发件地址 mail.from 无效：{e}"))?;
    let rows = state
        .store
        .letters_to_notify(50)
        .await
        .map_err(|e| e.to_string())?;
    for r in rows {
        let writer: gongkai_domain::letters::Writer = state
            .seal
            .open(&r.writer_sealed)
            .ok()
            .and_then(|j| serde_json::from_str(&j).ok())
            .unwrap_or_default();
        let to: Option<Mailbox> = writer.email.parse().ok();
        let Some(to) = to else {
            // No address (anonymous, phone only): nothing to send, ever.
            state
                .store
                .mark_letter_notified(r.id, false, today())
                .await
                .map_err(|e| e.to_string())?;
            continue;
        };
        let body = format!(
            "{}：\n\n您的来信（编号 {}，“{}”）已答复：\n\n{}\n\n请凭来信编号和查询密码在“{}”网站的“来信办理进度查询”页面查看、评价答复；如对答复不满意，可在答复之日起15日内申请重新办理一次。\n\n（本邮件由系统自动发送，请勿直接回复。）\n",
            if writer.name.is_empty() {
                "您好"
            } else {
                &writer.name
            },
            r.number,
            r.subject,
            r.reply_text,
            state.config.site_name,
        );
        let msg = Message::builder()
            .from(from.clone())
            .to(to)
            .subject(format!("您的来信 {} 已答复", r.number))
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|e| e.to_string())?;
        transport.send(msg).await.map_err(|e| e.to_string())?;
        state
            .store
            .mark_letter_notified(r.id, true, today())
            .await
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}
