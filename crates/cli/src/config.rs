//! Configuration: defaults, then a TOML file (`--config`), then environment variables
//! (`GONGKAI__SECTION__KEY`), then command-line flags. Every key, with its default, is listed in
//! `docs/config.md` and in [`Config::default`].

use std::path::PathBuf;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use gongkai_domain::password::{Profile, SecurityPolicy};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    pub server: ServerConfig,
    pub database: DatabaseConfig,
    pub security: SecurityConfig,
    pub metrics: MetricsConfig,
    pub screening: ScreeningConfig,
    pub attachments: AttachmentsConfig,
    pub reports: ReportsConfig,
    pub search: SearchConfig,
    pub mail: MailConfig,
}

/// E-mail to writers when their letter is answered, through an SMTP relay (plain SMTP, as an
/// intranet relay or a local MTA speaks). Empty `smtp_host` turns it off.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct MailConfig {
    pub smtp_host: String,
    pub smtp_port: u16,
    /// The sender address, e.g. `gongkai@example.gov.cn`.
    pub from: String,
    pub username: String,
    pub password: String,
}

/// The full-text search index (derived data, rebuilt from the database when missing).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct SearchConfig {
    /// Index folder; empty means `<data_dir>/search`. Each running instance needs its own.
    pub index_dir: String,
    /// How often the index catches up with the database's change log, in milliseconds.
    pub follow_interval_ms: u64,
}

impl Default for SearchConfig {
    fn default() -> Self {
        SearchConfig {
            index_dir: String::new(),
            follow_interval_ms: 1000,
        }
    }
}

/// Where attachments are stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct AttachmentsConfig {
    /// `local` (a folder, default `<data_dir>/attachments`) or `s3` (an S3-compatible bucket).
    pub backend: String,
    /// Local folder; empty means `<data_dir>/attachments`.
    pub dir: String,
    pub s3_endpoint: String,
    pub s3_bucket: String,
    pub s3_region: String,
    pub s3_access_key_id: String,
    pub s3_secret_access_key: String,
    pub s3_prefix: String,
    pub s3_allow_http: bool,
}

impl Default for AttachmentsConfig {
    fn default() -> Self {
        AttachmentsConfig {
            backend: "local".into(),
            dir: String::new(),
            s3_endpoint: String::new(),
            s3_bucket: String::new(),
            s3_region: "us-east-1".into(),
            s3_access_key_id: String::new(),
            s3_secret_access_key: String::new(),
            s3_prefix: "attachments".into(),
            s3_allow_http: false,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct ReportsConfig {
    /// Folder searched (recursively) for fonts for PDF output; it must hold a Chinese font
    /// such as Debian's `fonts-noto-cjk`, or PDFs are unavailable (the server still starts).
    pub font_dir: PathBuf,
}

impl Default for ReportsConfig {
    fn default() -> Self {
        ReportsConfig {
            font_dir: PathBuf::from(gongkai_reports::DEFAULT_FONT_DIR),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct ScreeningConfig {
    /// Words that must be reviewed before publication (敏感词), in addition to the built-in
    /// checks for 身份证号, phone and bank card numbers and 密级 markings.
    pub sensitive_words: Vec<String>,
    /// Characters kept visible when masking, at the start and end: [start, end].
    pub resident_id_keep: Option<[usize; 2]>,
    pub phone_keep: Option<[usize; 2]>,
    pub bank_card_keep: Option<[usize; 2]>,
    pub mask_char: Option<char>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct ServerConfig {
    /// Address and port to listen on.
    pub listen: String,
    /// The data folder: the SQLite database and the attachments live here.
    pub data_dir: PathBuf,
    /// The site's public address; `https://…` turns on Secure cookies and HSTS.
    pub public_url: String,
    /// Reverse proxies whose X-Forwarded-For is trusted (addresses or CIDR ranges).
    pub trusted_proxies: Vec<String>,
    /// Largest request body, in bytes.
    pub max_body_bytes: usize,
    /// Largest attachment upload, in bytes.
    pub max_upload_bytes: usize,
    /// The site's name in page headers.
    pub site_name: String,
    /// Public submissions (applications, letters) accepted per client address per window.
    pub submissions_per_window: u32,
    /// The length of that window, in seconds.
    pub submission_window_secs: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct DatabaseConfig {
    /// `postgres://…` for PostgreSQL; empty for SQLite at `<data_dir>/gongkai.db`.
    pub url: String,
    /// Connections to the database for reading (default: twice the cores plus one).
    pub max_connections: u32,
    /// PostgreSQL only: the schema to use (created if missing); empty means the default
    /// (`public`). Lets several installations share one database.
    pub schema: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct SecurityConfig {
    /// `djbh3` (等保三级, default) or `asvs`.
    pub profile: String,
    pub min_length: Option<usize>,
    pub require_character_classes: Option<bool>,
    pub refuse_common: Option<bool>,
    /// 0 turns forced rotation off.
    pub max_age_days: Option<u32>,
    pub lockout_threshold: Option<u32>,
    pub lockout_minutes: Option<u32>,
    /// 0 turns the idle limit off.
    pub idle_timeout_minutes: Option<u32>,
    pub absolute_timeout_hours: Option<u32>,
    pub require_totp: Option<bool>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct MetricsConfig {
    /// Addresses (or CIDR ranges) that may read /metrics without signing in.
    pub allow: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            server: ServerConfig::default(),
            database: DatabaseConfig::default(),
            security: SecurityConfig {
                profile: "djbh3".into(),
                ..Default::default()
            },
            metrics: MetricsConfig::default(),
            screening: ScreeningConfig::default(),
            attachments: AttachmentsConfig::default(),
            reports: ReportsConfig::default(),
            search: SearchConfig::default(),
            mail: MailConfig {
                smtp_port: 25,
                ..Default::default()
            },
        }
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("./data"),
            public_url: String::new(),
            trusted_proxies: vec![],
            max_body_bytes: 2 * 1024 * 1024,
            max_upload_bytes: 50 * 1024 * 1024,
            site_name: "政府信息公开平台".into(),
            submissions_per_window: 10,
            submission_window_secs: 600,
        }
    }
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        DatabaseConfig {
            url: String::new(),
            max_connections: gongkai_store::db::default_max_connections(),
            schema: String::new(),
        }
    }
}

impl Default for MetricsConfig {
    fn default() -> Self {
        MetricsConfig {
            allow: vec!["127.0.0.1/32".into(), "::1/128".into()],
        }
    }
}

/// Flags that every subcommand accepts.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct GlobalArgs {
    /// TOML configuration file.
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    /// Data folder (default ./data).
    #[arg(long, global = true)]
    pub data: Option<PathBuf>,
    /// Database URL, e.g. postgres://user@host/db (default: SQLite in the data folder).
    #[arg(long = "database-url", global = true)]
    pub database_url: Option<String>,
}

impl Config {
    pub fn load(g: &GlobalArgs) -> anyhow::Result<Config> {
        let mut fig = Figment::from(Serialized::defaults(Config::default()));
        if let Some(path) = &g.config {
            if !path.exists() {
                anyhow::bail!("配置文件不存在：{}", path.display());
            }
            fig = fig.merge(Toml::file(path));
        }
        fig = fig.merge(Env::prefixed("GONGKAI__").split("__"));
        let mut c: Config = fig
            .extract()
            .map_err(|e| anyhow::anyhow!("配置有误：{e}"))?;
        if let Some(d) = &g.data {
            c.server.data_dir = d.clone();
        }
        if let Some(u) = &g.database_url {
            c.database.url = u.clone();
        }
        Ok(c)
    }

    /// The database URL in force.
    pub fn database_url(&self) -> String {
        if self.database.url.trim().is_empty() {
            self.server
                .data_dir
                .join("gongkai.db")
                .to_string_lossy()
                .to_string()
        } else {
            self.database.url.clone()
        }
    }

    /// The search index folder in force.
    pub fn search_dir(&self) -> std::path::PathBuf {
        if self.search.index_dir.trim().is_empty() {
            self.server.data_dir.join("search")
        } else {
            std::path::PathBuf::from(self.search.index_dir.trim())
        }
    }

    /// The attachment store in force.
    pub fn blob_store(&self) -> anyhow::Result<gongkai_files::BlobStore> {
        let a = &self.attachments;
        match a.backend.trim() {
            "" | "local" => Ok(gongkai_files::BlobStore::local(
                if a.dir.trim().is_empty() {
                    self.server.data_dir.join("attachments")
                } else {
                    PathBuf::from(a.dir.trim())
                },
            )),
            "s3" => {
                if a.s3_bucket.trim().is_empty() {
                    anyhow::bail!("attachments.backend = \"s3\" 时必须设置 attachments.s3_bucket");
                }
                gongkai_files::BlobStore::s3(&gongkai_files::S3Config {
                    endpoint: a.s3_endpoint.clone(),
                    bucket: a.s3_bucket.clone(),
                    region: a.s3_region.clone(),
                    access_key_id: a.s3_access_key_id.clone(),
                    secret_access_key: a.s3_secret_access_key.clone(),
                    prefix: a.s3_prefix.clone(),
                    allow_http: a.s3_allow_http,
                })
                .map_err(|e| anyhow::anyhow!("{e}"))
            }
            other => anyhow::bail!("attachments.backend 只能是 local 或 s3，而不是“{other}”"),
        }
    }

    pub fn policy(&self) -> anyhow::Result<SecurityPolicy> {
        let profile = Profile::parse(&self.security.profile).ok_or_else(|| {
            anyhow::anyhow!(
                "security.profile 只能是 djbh3（等保三级）或 asvs，而不是“{}”",
                self.security.profile
            )
        })?;
        let s = &self.security;
        let mut p = SecurityPolicy::for_profile(profile);
        if let Some(v) = s.min_length {
            p.min_length = v.max(8);
        }
        if let Some(v) = s.require_character_classes {
            p.require_character_classes = v;
        }
        if let Some(v) = s.refuse_common {
            p.refuse_common = v;
        }
        if let Some(v) = s.max_age_days {
            p.max_age_days = (v > 0).then_some(v);
        }
        if let Some(v) = s.lockout_threshold {
            p.lockout_threshold = v;
        }
        if let Some(v) = s.lockout_minutes {
            p.lockout_minutes = v;
        }
        if let Some(v) = s.idle_timeout_minutes {
            p.idle_timeout_minutes = (v > 0).then_some(v);
        }
        if let Some(v) = s.absolute_timeout_hours {
            p.absolute_timeout_hours = v;
        }
        if let Some(v) = s.require_totp {
            p.require_totp = v;
        }
        Ok(p)
    }

    pub fn web_config(&self) -> anyhow::Result<gongkai_web::WebConfig> {
        let nets = |v: &[String]| -> anyhow::Result<Vec<ipnet::IpNet>> {
            v.iter()
                .map(|s| {
                    let s = s.trim();
                    s.parse::<ipnet::IpNet>()
                        .or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                        .map_err(|_| anyhow::anyhow!("无效的地址或网段：{s}"))
                })
                .collect()
        };
        Ok(gongkai_web::WebConfig {
            policy: self.policy()?,
            public_url: Some(self.server.public_url.clone()).filter(|s| !s.is_empty()),
            metrics_allow: nets(&self.metrics.allow)?,
            trusted_proxies: nets(&self.server.trusted_proxies)?,
            max_body_bytes: self.server.max_body_bytes,
            max_upload_bytes: self.server.max_upload_bytes,
            site_name: self.server.site_name.clone(),
            submissions_per_window: self.server.submissions_per_window.max(1),
            submission_window_secs: self.server.submission_window_secs.max(1),
            smtp: (!self.mail.smtp_host.trim().is_empty()).then(|| gongkai_web::SmtpSettings {
                host: self.mail.smtp_host.trim().to_string(),
                port: if self.mail.smtp_port == 0 {
                    25
                } else {
                    self.mail.smtp_port
                },
                from: self.mail.from.trim().to_string(),
                username: self.mail.username.clone(),
                password: self.mail.password.clone(),
            }),
            mail_every_ms: 5000,
            screening: {
                use gongkai_domain::screening::{MaskRule, ScreeningConfig};
                let d = ScreeningConfig::default();
                let rule = |v: Option<[usize; 2]>, dflt: MaskRule| {
                    v.map(|[s, e]| MaskRule {
                        keep_start: s,
                        keep_end: e,
                    })
                    .unwrap_or(dflt)
                };
                ScreeningConfig {
                    sensitive_words: self.screening.sensitive_words.clone(),
                    resident_id_mask: rule(self.screening.resident_id_keep, d.resident_id_mask),
                    phone_mask: rule(self.screening.phone_keep, d.phone_mask),
                    bank_card_mask: rule(self.screening.bank_card_keep, d.bank_card_mask),
                    mask_char: self.screening.mask_char.unwrap_or(d.mask_char),
                }
            },
        })
    }
}
