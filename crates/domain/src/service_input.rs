//! What a 事项管理员 types for a service item's version and for a fee item, checked the same way
//! for the form and the API, and the rules of a change (设立 / 调整 / 取消) against the item's
//! history. Pure; see `docs/design/services.md`.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::body::FieldErrors;
use crate::services::{CancelMode, ChangeKind, ServiceKind};

/// At most this many procedure steps (a flow chart stays readable on a card).
pub const MAX_STEPS: usize = 20;

/// A version of a service item as typed: a full snapshot, so the history view is a diff.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ServiceInput {
    pub change: String,
    pub cancel_mode: String,
    pub effective_on: String,
    pub doc_title: String,
    pub doc_no: String,
    pub reason: String,
    pub code: String,
    pub name: String,
    pub kind: String,
    /// 设定依据: one law and article per line.
    pub basis: String,
    pub conditions: String,
    /// 申请材料: one per line.
    pub materials: String,
    /// 办理流程: one step per line.
    pub procedure: String,
    pub statutory_days: String,
    pub promised_days: String,
    /// 收费: ids of fee items of the body, when the item charges.
    pub fee_ids: Vec<i64>,
    pub service_object: String,
    pub online_url: String,
    pub hall: String,
    pub hall_window: String,
    pub hall_hours: String,
    pub contact_phone: String,
    pub complaint_phone: String,
}

/// A checked version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidService {
    pub change: ChangeKind,
    pub cancel_mode: Option<CancelMode>,
    pub effective_on: NaiveDate,
    pub doc_title: String,
    pub doc_no: String,
    pub reason: String,
    pub code: String,
    pub name: String,
    pub kind: ServiceKind,
    pub basis: Vec<String>,
    pub conditions: String,
    pub materials: Vec<String>,
    pub procedure: Vec<String>,
    pub statutory_days: Option<u32>,
    pub promised_days: Option<u32>,
    pub fee_ids: Vec<i64>,
    pub service_object: String,
    pub online_url: String,
    pub hall: String,
    pub hall_window: String,
    pub hall_hours: String,
    pub contact_phone: String,
    pub complaint_phone: String,
}

fn lines(s: &str) -> Vec<String> {
    s.lines()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

fn days(s: &str) -> Result<Option<u32>, ()> {
    let s = s.trim().trim_end_matches("个工作日").trim();
    if s.is_empty() {
        return Ok(None);
    }
    s.parse::<u32>().map(Some).map_err(|_| ())
}

impl ServiceInput {
    /// Check the version; a 取消 needs only the change's fields and the item's identity.
    pub fn validate(&self) -> Result<ValidService, FieldErrors> {
        let mut e: FieldErrors = Vec::new();
        let change = ChangeKind::parse(&self.change);
        if change.is_none() {
            e.push(("change", "请选择变更类型（设立、调整或取消）".into()));
        }
        let cancel = change == Some(ChangeKind::Cancel);
        let cancel_mode = if cancel {
            let m = CancelMode::parse(&self.cancel_mode);
            if m.is_none() {
                e.push((
                    "cancel_mode",
                    "请选择取消方式（取消、下放、合并或其他）".into(),
                ));
            }
            m
        } else {
            None
        };
        let effective_on = NaiveDate::parse_from_str(self.effective_on.trim(), "%Y-%m-%d").ok();
        if effective_on.is_none() {
            e.push(("effective_on", "请填写施行日期（YYYY-MM-DD）".into()));
        }
        let doc_title = self.doc_title.trim().to_string();
        let doc_no = self.doc_no.trim().to_string();
        if doc_title.is_empty() || doc_no.is_empty() {
            e.push(("doc_no", "请填写作出变更的决定文件名称和文号".into()));
        }
        let code = self.code.trim().to_string();
        if code.is_empty() || code.chars().count() > 60 {
            e.push(("code", "请填写事项编码（不超过60个字符）".into()));
        }
        let name = self.name.trim().to_string();
        if name.is_empty() || name.chars().count() > 200 {
            e.push(("name", "请填写事项名称（不超过200个字）".into()));
        }
        let kind = ServiceKind::parse(&self.kind);
        if kind.is_none() {
            e.push(("kind", "请选择事项类型".into()));
        }
        let basis = lines(&self.basis);
        if basis.is_empty() && !cancel {
            e.push(("basis", "请填写设定依据（法律法规名称及条款）".into()));
        }
        let procedure = lines(&self.procedure);
        if procedure.len() > MAX_STEPS {
            e.push(("procedure", format!("办理流程不能超过{MAX_STEPS}步")));
        }
        let statutory_days = days(&self.statutory_days).unwrap_or_else(|()| {
            e.push(("statutory_days", "法定时限请填写工作日天数".into()));
            None
        });
        let promised_days = days(&self.promised_days).unwrap_or_else(|()| {
            e.push((
                "promised_days",
                "承诺时限请填写工作日天数（0 表示即办件）".into(),
            ));
            None
        });
        if let (Some(s), Some(p)) = (statutory_days, promised_days)
            && p > s
        {
            e.push(("promised_days", "承诺时限不能超过法定时限".into()));
        }
        let online_url = self.online_url.trim().to_string();
        let web = ["https://", "http://"];
        if !online_url.is_empty() && !web.iter().any(|p| online_url.starts_with(p)) {
            e.push((
                "online_url",
                "网上办理地址应以 https:// 或 http:// 开头".into(),
            ));
        }
        match (change, effective_on, kind) {
            (Some(change), Some(effective_on), Some(kind)) if e.is_empty() => Ok(ValidService {
                change,
                cancel_mode,
                effective_on,
                doc_title,
                doc_no,
                reason: self.reason.trim().to_string(),
                code,
                name,
                kind,
                basis,
                conditions: self.conditions.trim().to_string(),
                materials: lines(&self.materials),
                procedure,
                statutory_days,
                promised_days,
                fee_ids: self.fee_ids.clone(),
                service_object: self.service_object.trim().to_string(),
                online_url,
                hall: self.hall.trim().to_string(),
                hall_window: self.hall_window.trim().to_string(),
                hall_hours: self.hall_hours.trim().to_string(),
                contact_phone: self.contact_phone.trim().to_string(),
                complaint_phone: self.complaint_phone.trim().to_string(),
            }),
            _ => Err(e),
        }
    }
}

/// Where an item stands, as the rules of a change need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemState {
    /// `None` for a new item.
    pub cancelled: Option<(NaiveDate, String)>,
    /// The effective date of the latest published version.
    pub last_effective: Option<NaiveDate>,
    pub exists: bool,
}

/// Why `change` effective on `on` cannot be made to an item in `state`, in Chinese.
pub fn check_change(state: &ItemState, change: ChangeKind, on: NaiveDate) -> Result<(), String> {
    if let Some((day, doc)) = &state.cancelled {
        return Err(match change {
            ChangeKind::Cancel => format!("该事项已于{day}取消（{doc}），不能再次取消"),
            _ => format!("该事项已于{day}取消（{doc}），不能再调整；如需恢复请重新设立新事项"),
        });
    }
    match change {
        ChangeKind::Establish if state.exists => {
            return Err("该事项已设立，请选择“调整”或“取消”".into());
        }
        ChangeKind::Adjust | ChangeKind::Cancel if !state.exists => {
            return Err("新事项只能“设立”".into());
        }
        _ => {}
    }
    if let Some(last) = state.last_effective
        && on < last
    {
        return Err(format!("施行日期不能早于上一次变更的施行日期（{last}）"));
    }
    Ok(())
}

labelled!(
    /// The category of a fee item.
    FeeCategory {
        Administrative => "administrative", "行政事业性收费",
        Fund => "fund", "政府性基金",
    }
);

/// A fee item as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FeeInput {
    pub code: String,
    pub name: String,
    pub category: String,
    pub basis_title: String,
    pub basis_doc_no: String,
    pub standard_text: String,
    pub payer: String,
}

/// A checked fee item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidFee {
    pub code: String,
    pub name: String,
    pub category: FeeCategory,
    pub basis_title: String,
    pub basis_doc_no: String,
    pub standard_text: String,
    pub payer: String,
}

impl FeeInput {
    pub fn validate(&self) -> Result<ValidFee, FieldErrors> {
        let mut e: FieldErrors = Vec::new();
        let code = self.code.trim().to_string();
        if code.is_empty() {
            e.push(("code", "请填写收费项目编码".into()));
        }
        let name = self.name.trim().to_string();
        if name.is_empty() {
            e.push(("name", "请填写收费项目名称".into()));
        }
        let category = FeeCategory::parse(&self.category);
        if category.is_none() {
            e.push(("category", "请选择收费类别".into()));
        }
        let basis_title = self.basis_title.trim().to_string();
        let basis_doc_no = self.basis_doc_no.trim().to_string();
        if basis_title.is_empty() || basis_doc_no.is_empty() {
            e.push(("basis", "收费项目必须注明收费依据（文件名称和文号）".into()));
        }
        let standard_text = self.standard_text.trim().to_string();
        if standard_text.is_empty() {
            e.push(("standard_text", "请填写收费标准".into()));
        }
        match category {
            Some(category) if e.is_empty() => Ok(ValidFee {
                code,
                name,
                category,
                basis_title,
                basis_doc_no,
                standard_text,
                payer: self.payer.trim().to_string(),
            }),
            _ => Err(e),
        }
    }
}

/// An amount collected in a year, typed in 元: at least zero, the year not after this one.
pub fn check_amount(amount: &str, year: i32, this_year: i32) -> Result<i64, String> {
    if year > this_year || year < 2000 {
        return Err(format!("年度应在2000年至{this_year}年之间"));
    }
    crate::application::parse_yuan(amount)
        .ok_or_else(|| "金额请填写元为单位的数字，如 12345.67".to_string())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn input() -> ServiceInput {
        ServiceInput {
            change: "establish".into(),
            effective_on: "2025-03-01".into(),
            doc_title: "关于公布县级行政许可事项清单的通知".into(),
            doc_no: "示政发〔2025〕3号".into(),
            code: "XK-001".into(),
            name: "食品经营许可".into(),
            kind: "license".into(),
            basis: "《中华人民共和国食品安全法》第三十五条\n《食品经营许可和备案管理办法》第二条"
                .into(),
            materials: "食品经营许可申请书（原件1份）\n营业执照（复印件1份）".into(),
            procedure: "申请\n受理\n审查\n决定\n送达".into(),
            statutory_days: "20".into(),
            promised_days: "5".into(),
            ..ServiceInput::default()
        }
    }

    #[test]
    fn a_complete_version_is_accepted_with_its_lists() {
        let v = input().validate().unwrap();
        assert_eq!(v.basis.len(), 2);
        assert_eq!(v.procedure, vec!["申请", "受理", "审查", "决定", "送达"]);
        assert_eq!((v.statutory_days, v.promised_days), (Some(20), Some(5)));
    }

    #[test]
    fn promised_beyond_statutory_and_missing_documents_are_refused() {
        let e = ServiceInput {
            promised_days: "30".into(),
            doc_no: String::new(),
            procedure: (0..21).map(|i| format!("第{i}步\n")).collect(),
            ..input()
        }
        .validate()
        .unwrap_err();
        let msgs: Vec<_> = e.iter().map(|x| x.1.as_str()).collect();
        assert!(msgs.contains(&"承诺时限不能超过法定时限"), "{msgs:?}");
        assert!(e.iter().any(|x| x.0 == "doc_no"));
        assert!(e.iter().any(|x| x.0 == "procedure"));
    }

    #[test]
    fn a_cancelled_item_cannot_be_cancelled_again() {
        let gone = ItemState {
            cancelled: Some((d("2026-03-01"), "示政发〔2026〕2号".into())),
            last_effective: Some(d("2026-03-01")),
            exists: true,
        };
        assert_eq!(
            check_change(&gone, ChangeKind::Cancel, d("2026-05-01")).unwrap_err(),
            "该事项已于2026-03-01取消（示政发〔2026〕2号），不能再次取消"
        );
        let live = ItemState {
            cancelled: None,
            last_effective: Some(d("2026-03-01")),
            exists: true,
        };
        assert!(check_change(&live, ChangeKind::Establish, d("2026-05-01")).is_err());
        assert!(check_change(&live, ChangeKind::Adjust, d("2026-02-01")).is_err());
        assert!(check_change(&live, ChangeKind::Adjust, d("2026-03-01")).is_ok());
        let new = ItemState {
            cancelled: None,
            last_effective: None,
            exists: false,
        };
        assert!(check_change(&new, ChangeKind::Cancel, d("2026-05-01")).is_err());
        assert!(check_change(&new, ChangeKind::Establish, d("2026-05-01")).is_ok());
    }

    #[test]
    fn a_fee_needs_its_basis() {
        let e = FeeInput {
            code: "SF-01".into(),
            name: "不动产登记费".into(),
            category: "administrative".into(),
            standard_text: "住宅每件80元".into(),
            ..FeeInput::default()
        }
        .validate()
        .unwrap_err();
        assert_eq!(e[0].1, "收费项目必须注明收费依据（文件名称和文号）");
        assert_eq!(check_amount("12345.67", 2026, 2026), Ok(1_234_567));
        assert!(check_amount("-1", 2026, 2026).is_err());
        assert!(check_amount("1", 2027, 2026).is_err());
    }
}
