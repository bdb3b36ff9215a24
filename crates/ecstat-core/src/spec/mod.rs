//! Source specs (`pipelines/sources/*.toml`): how one kind of inbox file becomes rows of a
//! staged table. A new platform layout or department file is a new spec file, not new code.
//!
//! Two kinds: platform order exports (`orders`, columns fixed by ecstat, see [`orders`]) and
//! department / provincial records (`kind = "records"`, columns declared by the spec, see
//! [`records`]). Both are read by the same readers, described to them as a [`Layout`].

pub mod expression;
pub mod orders;
pub mod records;

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::encoding::EncodingSpec;
use crate::{CoreError, Result};

pub use orders::{
    ALLOCATED_AMOUNTS, CanonicalColumn, ColumnKind, GoodsAmountRule, InputColumn, ORDER_COLUMNS,
    ORDER_STATUSES, OrderSpec, PAID_STATUSES, StagedTable,
};
pub use records::{
    CheckKind, CheckSpec, ColumnSpec, FileField, FileFieldFrom, RecordSpec, Severity, ValueType,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileFormat {
    Csv,
    Xlsx,
    /// A JSON document holding an array of flat records (an API response).
    Json,
}

impl FileFormat {
    /// The format a file's extension names (`csv`/`txt`, `xlsx`/`xlsm`, `json`), any case.
    pub fn of_path(path: &Path) -> Option<Self> {
        let extension = path.extension()?.to_string_lossy().to_lowercase();
        match extension.as_str() {
            "csv" | "txt" => Some(FileFormat::Csv),
            "xlsx" | "xlsm" => Some(FileFormat::Xlsx),
            "json" => Some(FileFormat::Json),
            _ => None,
        }
    }
}

/// The formats a spec reads: one (`format = "csv"`) or several (`format = ["csv", "xlsx"]`:
/// a back office that exports the same columns either way). With several, a file's
/// extension picks the reader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Formats(Vec<FileFormat>);

impl Formats {
    pub fn contains(&self, format: FileFormat) -> bool {
        self.0.contains(&format)
    }

    /// The format to read `path` in: the one its extension names, when the spec reads it;
    /// otherwise the spec's first (a file a `files` pattern gave this spec, whatever its
    /// extension, is read as the spec says).
    pub fn for_path(&self, path: &Path) -> FileFormat {
        FileFormat::of_path(path)
            .filter(|f| self.contains(*f))
            .unwrap_or(self.0[0])
    }

    pub fn iter(&self) -> impl Iterator<Item = FileFormat> + '_ {
        self.0.iter().copied()
    }
}

impl<'de> Deserialize<'de> for Formats {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum OneOrMany {
            One(FileFormat),
            Many(Vec<FileFormat>),
        }
        let formats = match OneOrMany::deserialize(deserializer).map_err(|_| {
            serde::de::Error::custom(
                "format must be \"csv\", \"xlsx\" or \"json\", or a list of them",
            )
        })? {
            OneOrMany::One(f) => vec![f],
            OneOrMany::Many(list) => {
                let mut unique: Vec<FileFormat> = Vec::new();
                for f in list {
                    if unique.contains(&f) {
                        return Err(serde::de::Error::custom(format!(
                            "format lists {f:?} twice"
                        )));
                    }
                    unique.push(f);
                }
                unique
            }
        };
        if formats.is_empty() {
            return Err(serde::de::Error::custom("format lists no format"));
        }
        Ok(Formats(formats))
    }
}

/// One source spec of either kind.
#[derive(Debug, Clone)]
pub enum SourceSpec {
    Orders(OrderSpec),
    Records(RecordSpec),
}

/// How a reader finds the rows of a file: the part of a spec that readers need.
#[derive(Debug, Clone)]
pub struct Layout {
    pub source: String,
    pub format: FileFormat,
    pub encoding: EncodingSpec,
    pub sheet: Option<String>,
    /// 1-based row of the (last) header row.
    pub header_row: usize,
    /// Rows the header spans, ending at `header_row`.
    pub header_rows: usize,
    pub footer_markers: Vec<String>,
    pub json_records: Option<String>,
    /// (column name, header synonyms, required) for columns read from the table body.
    pub columns: Vec<(String, Vec<String>, bool)>,
    /// (column name, field) for values read from the file name or the title rows.
    pub file_fields: Vec<(String, FileField)>,
    /// Columns holding personal ID numbers: their raw text is never stored or shown, not
    /// even in a row rejected before parsing (it is masked).
    pub personal: Vec<String>,
}

impl SourceSpec {
    /// Read and check one spec file; `kind = "records"` selects a records spec.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|source| CoreError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let is_records = text
            .parse::<toml::Table>()
            .ok()
            .and_then(|t| {
                t.get("kind")
                    .and_then(|k| k.as_str().map(|k| k == "records"))
            })
            .unwrap_or(false);
        if is_records {
            RecordSpec::load(path).map(SourceSpec::Records)
        } else {
            OrderSpec::load(path).map(SourceSpec::Orders)
        }
    }

    pub fn name(&self) -> &str {
        match self {
            SourceSpec::Orders(s) => &s.name,
            SourceSpec::Records(s) => &s.name,
        }
    }

    pub fn description(&self) -> &str {
        match self {
            SourceSpec::Orders(s) => &s.description,
            SourceSpec::Records(s) => &s.description,
        }
    }

    /// Who submits the files: the department, or the platform of an order export.
    pub fn submitter(&self) -> &str {
        match self {
            SourceSpec::Orders(s) => &s.platform,
            SourceSpec::Records(s) => &s.department,
        }
    }

    /// The staged table the source feeds.
    pub fn table(&self) -> &str {
        match self {
            SourceSpec::Orders(s) => s.table.name(),
            SourceSpec::Records(s) => &s.table,
        }
    }

    pub fn files(&self) -> &[String] {
        match self {
            SourceSpec::Orders(s) => &s.files,
            SourceSpec::Records(s) => &s.files,
        }
    }

    pub fn formats(&self) -> &Formats {
        match self {
            SourceSpec::Orders(s) => &s.format,
            SourceSpec::Records(s) => &s.format,
        }
    }

    /// How a reader finds the rows of `path`: [`SourceSpec::layout`] in the format the
    /// file is in.
    pub fn layout_for(&self, path: &Path) -> Layout {
        Layout {
            format: self.formats().for_path(path),
            ..self.layout()
        }
    }

    /// Whether a later file replaces an earlier one's rows (records sources); order lines
    /// are instead reconciled line by line in `stg_orders`.
    pub fn replaces(&self) -> bool {
        matches!(self, SourceSpec::Records(_))
    }

    /// Whether `relative` (a path under the inbox, `/`-separated) is one of this source's files.
    pub fn matches(&self, relative: &str) -> bool {
        self.files().iter().any(|p| wildcard_match(p, relative))
    }

    /// Identifies how this spec (and this version of ecstat) reads files: a file ingested
    /// under another fingerprint is read again, so a changed spec reaches every file, old
    /// ones included.
    pub fn fingerprint(&self) -> String {
        match self {
            SourceSpec::Orders(s) => s.fingerprint(),
            SourceSpec::Records(s) => fingerprint_of(&format!("{s:?}")),
        }
    }

    /// How a reader finds the rows of a file of this spec, in the spec's first format (see
    /// [`SourceSpec::layout_for`] for a given file).
    pub fn layout(&self) -> Layout {
        match self {
            SourceSpec::Orders(s) => {
                let required = s.required_headers();
                Layout {
                    source: s.name.clone(),
                    format: s.format.0[0],
                    encoding: s.encoding,
                    sheet: s.sheet.clone(),
                    header_row: s.header_row,
                    header_rows: 1,
                    footer_markers: s.footer_markers.clone(),
                    json_records: None,
                    columns: s
                        .columns
                        .iter()
                        .map(|(name, synonyms)| {
                            (
                                name.clone(),
                                synonyms.clone(),
                                required.contains(&name.as_str()),
                            )
                        })
                        .chain(
                            s.inputs
                                .iter()
                                .map(|(name, input)| (name.clone(), input.headers.clone(), false)),
                        )
                        .collect(),
                    file_fields: s
                        .file_fields
                        .iter()
                        .map(|(name, field)| (name.clone(), field.clone()))
                        .collect(),
                    personal: Vec::new(),
                }
            }
            SourceSpec::Records(s) => Layout {
                source: s.name.clone(),
                format: s.format.0[0],
                encoding: s.encoding,
                sheet: s.sheet.clone(),
                header_row: s.header_row,
                header_rows: s.header_rows,
                footer_markers: s.footer_markers.clone(),
                json_records: s.json_records.clone(),
                columns: s
                    .columns
                    .iter()
                    .filter(|c| c.file_field.is_none())
                    .map(|c| (c.name.clone(), c.headers.clone(), c.required))
                    .collect(),
                file_fields: s
                    .columns
                    .iter()
                    .filter_map(|c| c.file_field.clone().map(|f| (c.name.clone(), f)))
                    .collect(),
                personal: s
                    .columns
                    .iter()
                    .filter(|c| c.value_type == ValueType::IdHash)
                    .map(|c| c.name.clone())
                    .collect(),
            },
        }
    }
}

/// The version of how files are read under a spec, beyond what the spec says: raised when
/// a reader gives different values for the same file and spec, so that files staged the
/// old way are read again. 2: a file field `from = "folder"` is the folder relative to the
/// inbox (it was the folder as the run reached it, which moved with the inbox).
const READ_RULES: u32 = 2;

pub(crate) fn fingerprint_of(debug: &str) -> String {
    use std::hash::{Hash, Hasher};
    // DefaultHasher::new() has fixed keys: the value is stable for a given build.
    let mut hasher = std::hash::DefaultHasher::new();
    debug.hash(&mut hasher);
    READ_RULES.hash(&mut hasher);
    env!("CARGO_PKG_VERSION").hash(&mut hasher);
    format!("{:016x}", hasher.finish())
}

/// Load every `*.toml` under `dir`, sorted by file name. Names must be unique.
pub fn load_dir(dir: &Path) -> Result<Vec<SourceSpec>> {
    let io = |source| CoreError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    let mut specs: Vec<SourceSpec> = Vec::with_capacity(paths.len());
    for path in paths {
        let spec = SourceSpec::load(&path)?;
        // Patterns name files inside the inbox; nothing lets a spec reach outside it.
        if let Some(bad) = spec
            .files()
            .iter()
            .find(|p| p.starts_with('/') || p.contains('\\') || p.split('/').any(|s| s == ".."))
        {
            return Err(CoreError::Config {
                path,
                message: format!(
                    "file pattern `{bad}` must be a relative path inside the inbox (no `..`, no leading `/`)"
                ),
            });
        }
        if specs.iter().any(|s| s.name() == spec.name()) {
            return Err(CoreError::Config {
                path,
                message: format!("source name `{}` is used by another spec", spec.name()),
            });
        }
        specs.push(spec);
    }
    Ok(specs)
}

/// `*` matches any run of characters except `/`, `?` one character except `/`.
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    // Classic iterative matcher with one backtrack point for the last `*`.
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == t[ti] || (p[pi] == '?' && t[ti] != '/')) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star.filter(|&(_, st)| t[st] != '/') {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_stay_within_a_name() {
        assert!(wildcard_match(
            "platforms/淘宝订单导出_*.csv",
            "platforms/淘宝订单导出_2019.csv"
        ));
        assert!(!wildcard_match(
            "platforms/淘宝订单导出_*.csv",
            "platforms/淘宝订单导出_2019.xlsx"
        ));
        assert!(!wildcard_match("*.csv", "platforms/a.csv"));
        assert!(wildcard_match(
            "platforms/*_201?.csv",
            "platforms/x_2018.csv"
        ));
    }

    #[test]
    fn a_spec_cannot_point_outside_the_inbox() {
        let dir = tempfile::tempdir().expect("tempdir");
        let spec = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../pipelines/sources/taobao.toml"),
        )
        .expect("taobao spec");
        let files = spec
            .lines()
            .find(|l| l.trim_start().starts_with("files"))
            .expect("a files line")
            .to_string();
        for bad in ["../secrets/*.csv", "/etc/*.csv", "platforms/../../x.csv"] {
            std::fs::write(
                dir.path().join("taobao.toml"),
                spec.replace(&files, &format!("files = [\"{bad}\"]")),
            )
            .expect("write");
            let err = load_dir(dir.path()).expect_err(bad).to_string();
            assert!(err.contains("inside the inbox"), "{bad}: {err}");
        }
    }
}
