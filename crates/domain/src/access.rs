//! Roles, permissions and the one access check used everywhere.
//!
//! A role is granted to an account on a body and applies to that body's whole subtree. An
//! [`Actor`] carries the grants of the signed-in account; handlers ask it `can(permission, body)`
//! and queries ask it for a [`Scope`], the set of subtree roots where a permission holds, which the
//! store turns into a `WHERE` clause. Data outside the scope is neither shown nor counted.

use serde::{Deserialize, Serialize};

use crate::body::in_subtree;

/// A role, granted on a body and effective in its subtree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 管理员: accounts, roles and body data within the subtree; the audit log.
    Admin,
    /// 信息员: writes items for publication.
    Editor,
    /// 保密审查员: confidentiality review before publication.
    Reviewer,
    /// 审批领导: approves publication, extensions.
    Approver,
    /// 申请办理员: handles applications (依申请公开).
    ApplicationHandler,
    /// 信箱办理员: handles letters to mailboxes.
    LetterHandler,
    /// 纪检监督: discipline supervision; reads cases, sees whistle-blower identities it handles.
    Discipline,
    /// 监督员: appointed external supervisor; reads and evaluates, changes nothing.
    Supervisor,
    /// 信用信息员: records 双公示 decisions (行政许可, 行政处罚) for publication.
    CreditEditor,
    /// 事项管理员: keeps the 权责清单 (drafts of service items' changes) and the 收费目录.
    ServiceEditor,
}

impl Role {
    pub const ALL: [Role; 10] = [
        Role::Admin,
        Role::Editor,
        Role::Reviewer,
        Role::Approver,
        Role::ApplicationHandler,
        Role::LetterHandler,
        Role::Discipline,
        Role::Supervisor,
        Role::CreditEditor,
        Role::ServiceEditor,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Editor => "editor",
            Role::Reviewer => "reviewer",
            Role::Approver => "approver",
            Role::ApplicationHandler => "application_handler",
            Role::LetterHandler => "letter_handler",
            Role::Discipline => "discipline",
            Role::Supervisor => "supervisor",
            Role::CreditEditor => "credit_editor",
            Role::ServiceEditor => "service_editor",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "管理员",
            Role::Editor => "信息员",
            Role::Reviewer => "保密审查员",
            Role::Approver => "审批领导",
            Role::ApplicationHandler => "申请办理员",
            Role::LetterHandler => "信箱办理员",
            Role::Discipline => "纪检监督",
            Role::Supervisor => "监督员",
            Role::CreditEditor => "信用信息员",
            Role::ServiceEditor => "事项管理员",
        }
    }

    /// Accepts the stored name or the Chinese label.
    pub fn parse(s: &str) -> Option<Role> {
        let s = s.trim();
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s || r.label() == s)
    }

    /// What this role allows. The table is the whole policy: there is no other place where a
    /// role gains a permission.
    pub fn permissions(self) -> &'static [Permission] {
        use Permission::*;
        match self {
            Role::Admin => &[
                ViewBackOffice,
                ManageAccounts,
                ManageBodies,
                ViewAudit,
                ManageCalendar,
                ViewMetrics,
            ],
            Role::Editor => &[ViewBackOffice, EditItems],
            Role::Reviewer => &[ViewBackOffice, ReviewItems],
            Role::Approver => &[ViewBackOffice, ApproveItems, ApproveCases],
            Role::ApplicationHandler => &[ViewBackOffice, HandleApplications],
            Role::LetterHandler => &[ViewBackOffice, HandleLetters],
            Role::Discipline => &[
                ViewBackOffice,
                Supervise,
                ViewAudit,
                HandleDisciplineCases,
                Inspect,
            ],
            Role::Supervisor => &[ViewBackOffice, Supervise],
            Role::CreditEditor => &[ViewBackOffice, RecordDecisions],
            Role::ServiceEditor => &[ViewBackOffice, EditServices],
        }
    }
}

/// A permission, checked against the body an object belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Permission {
    ViewBackOffice,
    ManageAccounts,
    ManageBodies,
    ViewAudit,
    ManageCalendar,
    ViewMetrics,
    EditItems,
    ReviewItems,
    ApproveItems,
    ApproveCases,
    HandleApplications,
    HandleLetters,
    HandleDisciplineCases,
    /// Record, correct and void 双公示 decisions; see their personal values with a reason.
    RecordDecisions,
    /// Draft changes of service items; keep fee items and the amounts collected.
    EditServices,
    /// Read everything in scope and record evaluations; never change anything.
    Supervise,
    /// Keep 考核细则, run 监督检查 (scores, findings, rectifications to accept) and record 责任追究.
    Inspect,
}

/// Who sees items in the back office: those who write, review, approve or supervise them.
pub const ITEM_READERS: &[Permission] = &[
    Permission::EditItems,
    Permission::ReviewItems,
    Permission::ApproveItems,
    Permission::Supervise,
];

/// Who sees application cases: their handlers, the approvers of extensions, supervisors.
pub const CASE_READERS: &[Permission] = &[
    Permission::HandleApplications,
    Permission::ApproveCases,
    Permission::Supervise,
];

/// Who sees ordinary letters (信箱来信) in the back office: their handlers, the leaders who assign
/// them and receive escalations, supervisors. A 举报 is seen only by [`REPORT_READERS`].
pub const LETTER_READERS: &[Permission] = &[
    Permission::HandleLetters,
    Permission::ApproveCases,
    Permission::Supervise,
];

/// Who sees a 举报 (whistle-blowing report) at all: the discipline-inspection role only.
pub const REPORT_READERS: &[Permission] = &[Permission::HandleDisciplineCases];

/// Who sees 双公示 decisions in the back office: who records them, who publishes and withdraws
/// them (审批领导), supervisors.
pub const CREDIT_READERS: &[Permission] = &[
    Permission::RecordDecisions,
    Permission::ApproveItems,
    Permission::Supervise,
];

/// Who sees the 权责清单 and 收费目录 in the back office.
pub const SERVICE_READERS: &[Permission] = &[
    Permission::EditServices,
    Permission::ApproveItems,
    Permission::Supervise,
];

/// One role granted on one body; `body_path` is the body's materialised path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub role: Role,
    pub body_id: i64,
    pub body_path: String,
}

/// The signed-in account and what it may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    /// The body the account belongs to.
    pub body_id: i64,
    pub grants: Vec<Grant>,
}

/// The subtrees where a permission holds. Empty means nowhere.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Scope {
    /// Materialised paths of subtree roots; no root lies inside another.
    pub roots: Vec<String>,
}

impl Scope {
    pub fn is_empty(&self) -> bool {
        self.roots.is_empty()
    }

    pub fn contains(&self, body_path: &str) -> bool {
        self.roots.iter().any(|r| in_subtree(body_path, r))
    }

    /// The bodies in both scopes: for each pair of roots, the deeper one when one lies inside
    /// the other.
    pub fn intersect(&self, other: &Scope) -> Scope {
        let mut roots: Vec<String> = Vec::new();
        for a in &self.roots {
            for b in &other.roots {
                if in_subtree(a, b) {
                    roots.push(a.clone());
                } else if in_subtree(b, a) {
                    roots.push(b.clone());
                }
            }
        }
        roots.sort();
        roots.dedup();
        Scope { roots }
    }

    /// The subtree of one body.
    pub fn subtree(body_path: &str) -> Scope {
        Scope {
            roots: vec![body_path.to_string()],
        }
    }
}

impl Actor {
    /// May the actor exercise `perm` on an object belonging to the body at `body_path`?
    pub fn can(&self, perm: Permission, body_path: &str) -> bool {
        self.grants
            .iter()
            .any(|g| g.role.permissions().contains(&perm) && in_subtree(body_path, &g.body_path))
    }

    /// Does the actor hold `perm` anywhere at all (for navigation)?
    pub fn has_anywhere(&self, perm: Permission) -> bool {
        self.grants
            .iter()
            .any(|g| g.role.permissions().contains(&perm))
    }

    pub fn has_role(&self, role: Role, body_path: &str) -> bool {
        self.grants
            .iter()
            .any(|g| g.role == role && in_subtree(body_path, &g.body_path))
    }

    /// Does any of `perms` hold on the body at `body_path`?
    pub fn can_any(&self, perms: &[Permission], body_path: &str) -> bool {
        perms.iter().any(|p| self.can(*p, body_path))
    }

    /// The subtree roots where `perm` holds, with nested roots removed.
    pub fn scope(&self, perm: Permission) -> Scope {
        self.scope_any(&[perm])
    }

    /// The subtree roots where any of `perms` holds, with nested roots removed.
    pub fn scope_any(&self, perms: &[Permission]) -> Scope {
        let mut roots: Vec<String> = self
            .grants
            .iter()
            .filter(|g| perms.iter().any(|p| g.role.permissions().contains(p)))
            .map(|g| g.body_path.clone())
            .collect();
        roots.sort();
        roots.dedup();
        let all = roots.clone();
        roots.retain(|r| !all.iter().any(|o| o != r && in_subtree(r, o)));
        Scope { roots }
    }

    /// May this actor grant `role` on the body at `body_path`? Only administrators, only inside
    /// their own subtree (管理员 manages accounts and roles only inside their subtree).
    pub fn can_grant(&self, _role: Role, body_path: &str) -> bool {
        self.can(Permission::ManageAccounts, body_path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(grants: &[(Role, &str)]) -> Actor {
        Actor {
            user_id: 1,
            username: "u".into(),
            display_name: "U".into(),
            body_id: 1,
            grants: grants
                .iter()
                .map(|(r, p)| Grant {
                    role: *r,
                    body_id: 0,
                    body_path: p.to_string(),
                })
                .collect(),
        }
    }

    #[test]
    fn role_applies_to_subtree_only() {
        let a = actor(&[(Role::Admin, "/1/5/")]);
        assert!(a.can(Permission::ManageAccounts, "/1/5/"));
        assert!(a.can(Permission::ManageAccounts, "/1/5/9/"));
        assert!(!a.can(Permission::ManageAccounts, "/1/"));
        assert!(!a.can(Permission::ManageAccounts, "/1/6/"));
        assert!(!a.can(Permission::ManageAccounts, "/1/50/"));
    }

    #[test]
    fn supervisors_change_nothing() {
        let a = actor(&[(Role::Supervisor, "/1/")]);
        for p in [
            Permission::ManageAccounts,
            Permission::ManageBodies,
            Permission::EditItems,
            Permission::ReviewItems,
            Permission::ApproveItems,
            Permission::HandleApplications,
            Permission::HandleLetters,
            Permission::ManageCalendar,
        ] {
            assert!(!a.can(p, "/1/2/"), "{p:?}");
        }
        assert!(a.can(Permission::Supervise, "/1/2/"));
    }

    #[test]
    fn scopes_intersect_on_the_deeper_root() {
        let a = Scope {
            roots: vec!["/1/".into(), "/7/".into()],
        };
        let b = Scope {
            roots: vec!["/1/5/".into(), "/2/".into(), "/7/".into()],
        };
        assert_eq!(a.intersect(&b).roots, vec!["/1/5/", "/7/"]);
        assert_eq!(b.intersect(&a), a.intersect(&b));
        assert!(a.intersect(&Scope::default()).is_empty());
        assert!(
            Scope::subtree("/1/50/")
                .intersect(&Scope::subtree("/1/5/"))
                .is_empty()
        );
    }

    #[test]
    fn scope_drops_nested_roots() {
        let a = actor(&[
            (Role::Editor, "/1/5/"),
            (Role::Editor, "/1/"),
            (Role::Editor, "/2/"),
            (Role::Reviewer, "/3/"),
        ]);
        assert_eq!(a.scope(Permission::EditItems).roots, vec!["/1/", "/2/"]);
        assert!(a.scope(Permission::ManageAccounts).is_empty());
    }

    #[test]
    fn roles_parse_from_label_and_name() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
            assert_eq!(Role::parse(r.label()), Some(r));
        }
        assert_eq!(Role::parse("皇帝"), None);
    }
}
