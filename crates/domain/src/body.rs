//! Public bodies (机关、单位): their kinds, the validated fields of a body, and the rule that the
//! body tree never contains a cycle.

use serde::{Deserialize, Serialize};

use crate::codes::{CodeError, OrgCode};

/// The kind of a public body. The string forms are stored in the database and never change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BodyKind {
    Government,
    Department,
    Township,
    Subdistrict,
    Community,
    Village,
    School,
    Discipline,
    Other,
}

impl BodyKind {
    pub const ALL: [BodyKind; 9] = [
        BodyKind::Government,
        BodyKind::Department,
        BodyKind::Township,
        BodyKind::Subdistrict,
        BodyKind::Community,
        BodyKind::Village,
        BodyKind::School,
        BodyKind::Discipline,
        BodyKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            BodyKind::Government => "government",
            BodyKind::Department => "department",
            BodyKind::Township => "township",
            BodyKind::Subdistrict => "subdistrict",
            BodyKind::Community => "community",
            BodyKind::Village => "village",
            BodyKind::School => "school",
            BodyKind::Discipline => "discipline",
            BodyKind::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            BodyKind::Government => "人民政府",
            BodyKind::Department => "部门",
            BodyKind::Township => "乡镇",
            BodyKind::Subdistrict => "街道",
            BodyKind::Community => "社区",
            BodyKind::Village => "村",
            BodyKind::School => "学校",
            BodyKind::Discipline => "纪检监察机关",
            BodyKind::Other => "其他",
        }
    }

    pub fn parse(s: &str) -> Option<BodyKind> {
        BodyKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s || k.label() == s)
    }
}

/// A leader of a body, shown on its 领导信息 page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Leader {
    pub name: String,
    pub title: String,
    pub portfolio: String,
}

/// The editable fields of a body, as entered by an administrator.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct BodyInput {
    pub name: String,
    pub short_name: String,
    pub kind: String,
    pub org_code: String,
    pub parent_id: Option<i64>,
    pub address: String,
    pub office_hours: String,
    pub phone: String,
    pub fax: String,
    pub email: String,
    pub duties: String,
    pub leaders: Vec<Leader>,
}

/// A body's fields after validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BodyFields {
    pub name: String,
    pub short_name: String,
    pub kind: BodyKind,
    pub org_code: String,
    pub parent_id: Option<i64>,
    pub address: String,
    pub office_hours: String,
    pub phone: String,
    pub fax: String,
    pub email: String,
    pub duties: String,
    pub leaders: Vec<Leader>,
}

/// Field-level validation errors, keyed by form field name, with Chinese messages.
pub type FieldErrors = Vec<(&'static str, String)>;

impl BodyInput {
    /// Parse, don't validate: the result can only hold a valid body.
    pub fn validate(&self) -> Result<BodyFields, FieldErrors> {
        let mut errors: FieldErrors = Vec::new();
        let name = self.name.trim().to_string();
        if name.is_empty() {
            errors.push(("name", "请填写机关名称".into()));
        } else if name.chars().count() > 100 {
            errors.push(("name", "机关名称不能超过100个字".into()));
        }
        let short_name = self.short_name.trim().to_string();
        if short_name.chars().count() > 30 {
            errors.push(("short_name", "简称不能超过30个字".into()));
        }
        let kind = BodyKind::parse(self.kind.trim());
        if kind.is_none() {
            errors.push(("kind", "请选择机关类型".into()));
        }
        let org_code = match OrgCode::parse(&self.org_code) {
            Ok(c) => c.value,
            Err(e) => {
                errors.push(("org_code", describe_code_error(&e)));
                String::new()
            }
        };
        let email = self.email.trim().to_string();
        if !email.is_empty() && !looks_like_email(&email) {
            errors.push(("email", "电子邮箱格式不正确".into()));
        }
        for (field, value, label) in [
            ("phone", &self.phone, "联系电话"),
            ("fax", &self.fax, "传真"),
        ] {
            let v = value.trim();
            if !v.is_empty() && !looks_like_phone(v) {
                errors.push((
                    field,
                    format!("{label}格式不正确，只能包含数字、空格、“-”和括号"),
                ));
            }
        }
        let leaders: Vec<Leader> = self
            .leaders
            .iter()
            .map(|l| Leader {
                name: l.name.trim().to_string(),
                title: l.title.trim().to_string(),
                portfolio: l.portfolio.trim().to_string(),
            })
            .filter(|l| !(l.name.is_empty() && l.title.is_empty() && l.portfolio.is_empty()))
            .collect();
        if leaders
            .iter()
            .any(|l| l.name.is_empty() || l.title.is_empty())
        {
            errors.push(("leaders", "每位领导都须填写姓名和职务".into()));
        }
        if self.duties.chars().count() > 20_000 {
            errors.push(("duties", "机构职能不能超过20000字".into()));
        }
        match (kind, errors.is_empty()) {
            (Some(kind), true) => Ok(BodyFields {
                name,
                short_name,
                kind,
                org_code,
                parent_id: self.parent_id,
                address: self.address.trim().to_string(),
                office_hours: self.office_hours.trim().to_string(),
                phone: self.phone.trim().to_string(),
                fax: self.fax.trim().to_string(),
                email,
                duties: self.duties.trim().to_string(),
                leaders,
            }),
            _ => Err(errors),
        }
    }
}

fn describe_code_error(e: &CodeError) -> String {
    format!("机构代码无效：{e}")
}

fn looks_like_email(s: &str) -> bool {
    let mut parts = s.split('@');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(local), Some(domain), None) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !s.chars().any(char::is_whitespace)
        }
        _ => false,
    }
}

fn looks_like_phone(s: &str) -> bool {
    s.chars().any(|c| c.is_ascii_digit())
        && s.chars().all(|c| {
            c.is_ascii_digit()
                || matches!(c, '-' | ' ' | '(' | ')' | '（' | '）' | '、' | '/' | '+')
        })
}

/// Materialised path of a body: `/1/5/12/`. Subtree membership is a prefix test, which both
/// SQL backends can do with an index (`path LIKE prefix || '%'`).
pub fn child_path(parent_path: Option<&str>, id: i64) -> String {
    match parent_path {
        Some(p) => format!("{p}{id}/"),
        None => format!("/{id}/"),
    }
}

/// True when `path` lies in the subtree rooted at `root_path` (itself included).
pub fn in_subtree(path: &str, root_path: &str) -> bool {
    path.starts_with(root_path)
}

/// A body may not be moved under itself or one of its descendants.
pub fn move_creates_cycle(body_path: &str, new_parent_path: &str) -> bool {
    in_subtree(new_parent_path, body_path)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn valid_input() -> BodyInput {
        BodyInput {
            name: "示例县人民政府".into(),
            kind: "government".into(),
            org_code: format!(
                "SLX00001{}",
                crate::codes::organization_code_check_char("SLX00001").unwrap()
            ),
            ..Default::default()
        }
    }

    #[test]
    fn a_valid_body_validates() {
        let f = valid_input().validate().unwrap();
        assert_eq!(f.kind, BodyKind::Government);
    }

    #[test]
    fn invalid_fields_are_reported_per_field() {
        let mut i = valid_input();
        i.name = " ".into();
        i.org_code = "12345678-0".into();
        i.email = "not-an-email".into();
        i.phone = "call me".into();
        i.kind = "palace".into();
        let errs = i.validate().unwrap_err();
        let fields: Vec<_> = errs.iter().map(|(f, _)| *f).collect();
        for f in ["name", "org_code", "email", "phone", "kind"] {
            assert!(fields.contains(&f), "missing {f} in {fields:?}");
        }
    }

    #[test]
    fn leaders_need_name_and_title() {
        let mut i = valid_input();
        i.leaders = vec![Leader {
            name: "王明".into(),
            title: String::new(),
            portfolio: "负责全面工作".into(),
        }];
        assert!(i.validate().is_err());
    }

    #[test]
    fn subtree_and_cycles() {
        let root = child_path(None, 1);
        let dept = child_path(Some(&root), 5);
        let sub = child_path(Some(&dept), 12);
        assert_eq!(sub, "/1/5/12/");
        assert!(in_subtree(&sub, &root));
        assert!(!in_subtree(&root, &sub));
        // "/1/5/" must not match "/1/50/": the trailing slash keeps prefixes exact.
        assert!(!in_subtree("/1/50/", &dept));
        assert!(move_creates_cycle(&dept, &sub));
        assert!(move_creates_cycle(&dept, &dept));
        assert!(!move_creates_cycle(&sub, &root));
    }
}
