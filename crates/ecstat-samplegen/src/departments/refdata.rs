//! Owns the real reference data the department files are built on: the county's 24
//! townships and 492 villages (`anxi_divisions.csv`), the shop register (`shops.csv`),
//! each township's size and specialities, and the ways clerks write division names.
//!
//! It also restates the lenient name matching of ecstat's division resolver (full name;
//! name without its level suffix; both stripped), so that every short form written is
//! checked to resolve to exactly its own division, and every planted misspelling or
//! wrong-township village is checked to resolve to none.

use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::rng::SplitMix64;

#[derive(Debug, Clone)]
pub struct Township {
    pub code: String,
    /// `湖头镇`
    pub name: String,
    /// `湖头`
    pub short: String,
    /// Indexes into [`Reference::villages`].
    pub villages: Vec<usize>,
    /// Relative size of its e-commerce (凤城镇, the county seat, is largest).
    pub weight: f64,
    pub speciality: Speciality,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Speciality {
    /// 铁观音 country: 感德, 西坪, 祥华 …
    Tea,
    /// 藤铁工艺 and 藤编: 湖头, 官桥, 尚卿 …
    Rattan,
    /// 淮山, 红米, 蜜柚, 龙眼
    Produce,
    /// The county seat: services, apparel, every trade.
    Town,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VillageKind {
    /// 村委会: an administrative village.
    Admin,
    /// 社区居委会 / 社区居民会
    Community,
    /// A farm's 生活区.
    Other,
}

#[derive(Debug, Clone)]
pub struct Village {
    pub code: String,
    /// NBS name: `郭埔村委会`.
    pub name: String,
    pub township: usize,
    pub kind: VillageKind,
    /// Urban-rural class 1xx (urban) or 2xx.
    pub urban: bool,
    /// Name without its suffix: `郭埔`.
    pub core: String,
}

/// One row of `shops.csv`.
#[derive(Debug, Clone)]
pub struct ShopRef {
    pub platform: String,
    pub shop_id: String,
    pub shop_name: String,
    pub enterprise: String,
    pub uscc: String,
    pub township: usize,
}

#[derive(Debug, Clone)]
pub struct Reference {
    pub county_code: String,
    pub townships: Vec<Township>,
    pub villages: Vec<Village>,
    pub shops: Vec<ShopRef>,
}

/// (name, weight, speciality) of each township.
const PROFILES: &[(&str, f64, Speciality)] = &[
    ("凤城镇", 3.0, Speciality::Town),
    ("蓬莱镇", 1.1, Speciality::Tea),
    ("湖头镇", 1.8, Speciality::Rattan),
    ("官桥镇", 1.5, Speciality::Rattan),
    ("剑斗镇", 0.7, Speciality::Tea),
    ("城厢镇", 1.6, Speciality::Rattan),
    ("金谷镇", 1.0, Speciality::Produce),
    ("龙门镇", 1.1, Speciality::Produce),
    ("虎邱镇", 1.0, Speciality::Tea),
    ("芦田镇", 0.5, Speciality::Tea),
    ("感德镇", 2.2, Speciality::Tea),
    ("魁斗镇", 0.7, Speciality::Rattan),
    ("西坪镇", 1.5, Speciality::Tea),
    ("参内镇", 0.9, Speciality::Rattan),
    ("长卿镇", 0.8, Speciality::Tea),
    ("白濑乡", 0.4, Speciality::Tea),
    ("湖上乡", 0.5, Speciality::Produce),
    ("尚卿乡", 1.0, Speciality::Rattan),
    ("大坪乡", 0.6, Speciality::Tea),
    ("龙涓乡", 0.8, Speciality::Tea),
    ("蓝田乡", 0.4, Speciality::Produce),
    ("祥华乡", 1.0, Speciality::Tea),
    ("桃舟乡", 0.4, Speciality::Produce),
    ("福田乡", 0.3, Speciality::Tea),
];

// The suffix lists are written again here on purpose, not imported from ecstat-core: the
// generator checks that each short name it writes resolves to exactly its own village, and
// a check that used the resolver's own lists would only confirm the resolver with itself.
const TOWNSHIP_SUFFIXES: &[&str] = &["街道", "镇", "乡"];
/// As the resolver lists them, longest first.
const VILLAGE_SUFFIXES: &[&str] = &[
    "社区居民委员会",
    "村民委员会",
    "社区居委会",
    "社区居民会",
    "居民委员会",
    "村委会",
    "居委会",
    "居民会",
    "社区",
    "村",
];

fn strip<'a>(name: &'a str, suffixes: &[&str]) -> &'a str {
    suffixes
        .iter()
        .find_map(|s| name.strip_suffix(s).filter(|rest| !rest.is_empty()))
        .unwrap_or(name)
}

fn csv_records(path: &Path) -> Result<Vec<Vec<String>>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    // The reference files are plain comma-separated text without quoting.
    Ok(text
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split(',').map(|f| f.trim().to_string()).collect())
        .collect())
}

impl Reference {
    pub fn load(dir: &Path) -> Result<Reference> {
        let mut county_code = String::new();
        let mut townships: Vec<Township> = Vec::new();
        let mut villages = Vec::new();
        let rows = csv_records(&dir.join("anxi_divisions.csv"))?;
        for r in &rows {
            let [code, name, level, parent, class] = r.as_slice() else {
                bail!("anxi_divisions.csv: bad record {r:?}");
            };
            match level.as_str() {
                "county" => county_code = code.clone(),
                "township" => {
                    let Some(&(_, weight, speciality)) = PROFILES.iter().find(|p| p.0 == name)
                    else {
                        bail!("no profile for township {name}");
                    };
                    townships.push(Township {
                        code: code.clone(),
                        name: name.clone(),
                        short: strip(name, TOWNSHIP_SUFFIXES).to_string(),
                        villages: Vec::new(),
                        weight,
                        speciality,
                    });
                }
                "village" => {
                    villages.push((code.clone(), name.clone(), parent.clone(), class.clone()))
                }
                other => bail!("anxi_divisions.csv: level {other}"),
            }
        }
        let mut out_villages = Vec::new();
        for (code, name, parent, class) in villages {
            let Some(t) = townships.iter().position(|t| t.code == parent) else {
                bail!("village {code} has no township");
            };
            let kind = if name.ends_with("村委会") {
                VillageKind::Admin
            } else if name.contains("社区") {
                VillageKind::Community
            } else {
                VillageKind::Other
            };
            townships[t].villages.push(out_villages.len());
            out_villages.push(Village {
                core: strip(&name, VILLAGE_SUFFIXES).to_string(),
                code,
                name,
                township: t,
                kind,
                urban: class.starts_with('1'),
            });
        }
        let mut shops = Vec::new();
        for r in csv_records(&dir.join("shops.csv"))? {
            let [platform, shop_id, shop_name, enterprise, uscc, township] = r.as_slice() else {
                bail!("shops.csv: bad record {r:?}");
            };
            let Some(t) = townships.iter().position(|x| &x.code == township) else {
                bail!("shops.csv: unknown township {township}");
            };
            shops.push(ShopRef {
                platform: platform.clone(),
                shop_id: shop_id.clone(),
                shop_name: shop_name.clone(),
                enterprise: enterprise.clone(),
                uscc: uscc.clone(),
                township: t,
            });
        }
        if townships.len() != 24 || out_villages.len() != 492 || county_code.is_empty() {
            bail!(
                "expected the county, 24 townships and 492 villages; found {} and {}",
                townships.len(),
                out_villages.len()
            );
        }
        let reference = Reference {
            county_code,
            townships,
            villages: out_villages,
            shops,
        };
        reference.check_short_forms()?;
        Ok(reference)
    }

    pub fn township_by_name(&self, name: &str) -> Option<usize> {
        self.townships.iter().position(|t| t.name == name)
    }

    /// Township as a clerk writes it: mostly the full name, sometimes without 镇/乡,
    /// now and then padded with full-width spaces.
    pub fn township_text(
        &self,
        t: usize,
        rng: &mut SplitMix64,
        p_short: f64,
        p_pad: f64,
    ) -> String {
        let tw = &self.townships[t];
        let base = if rng.chance(p_short) {
            tw.short.clone()
        } else {
            tw.name.clone()
        };
        if rng.chance(p_pad) {
            format!("\u{3000}{base}\u{3000}")
        } else {
            base
        }
    }

    /// The short forms of a village that a clerk may write, resolvable within its
    /// township: `郭埔村`, `郭埔`; `城关社区`. A farm's 生活区 has only its full name.
    pub fn village_short_forms(&self, v: usize) -> Vec<String> {
        let village = &self.villages[v];
        match village.kind {
            VillageKind::Admin => {
                if village.core.ends_with('村') {
                    vec![village.core.clone()]
                } else {
                    vec![format!("{}村", village.core), village.core.clone()]
                }
            }
            VillageKind::Community => vec![format!("{}社区", village.core)],
            VillageKind::Other => Vec::new(),
        }
    }

    /// Village as written: the full NBS name with probability `1 - p_short`.
    pub fn village_text(&self, v: usize, rng: &mut SplitMix64, p_short: f64) -> String {
        let forms = self.village_short_forms(v);
        if forms.is_empty() || !rng.chance(p_short) {
            self.villages[v].name.clone()
        } else {
            forms[rng.below(forms.len() as u64) as usize].clone()
        }
    }

    /// Villages of township `t` that `text` names, by the resolver's rules.
    pub fn resolve_village(&self, t: usize, text: &str) -> Vec<usize> {
        let query = text.trim_matches(|c: char| c.is_whitespace());
        let stripped = strip(query, VILLAGE_SUFFIXES);
        let pool = &self.townships[t].villages;
        let rules: [&dyn Fn(&Village) -> bool; 3] =
            [&|v| v.name == query, &|v| v.core == query, &|v| {
                v.core == stripped
            }];
        for rule in rules {
            let found: Vec<usize> = pool
                .iter()
                .copied()
                .filter(|&i| rule(&self.villages[i]))
                .collect();
            if !found.is_empty() {
                return found;
            }
        }
        Vec::new()
    }

    /// Townships that `text` names, by the resolver's rules.
    pub fn resolve_township(&self, text: &str) -> Vec<usize> {
        let query = text.trim_matches(|c: char| c.is_whitespace());
        let stripped = strip(query, TOWNSHIP_SUFFIXES);
        let rules: [&dyn Fn(&Township) -> bool; 3] =
            [&|t| t.name == query, &|t| t.short == query, &|t| {
                t.short == stripped
            }];
        for rule in rules {
            let found: Vec<usize> = (0..self.townships.len())
                .filter(|&i| rule(&self.townships[i]))
                .collect();
            if !found.is_empty() {
                return found;
            }
        }
        Vec::new()
    }

    fn check_short_forms(&self) -> Result<()> {
        for (i, v) in self.villages.iter().enumerate() {
            for form in std::iter::once(v.name.clone()).chain(self.village_short_forms(i)) {
                if self.resolve_village(v.township, &form) != [i] {
                    bail!("village form {form} does not resolve to {} alone", v.name);
                }
            }
        }
        for (i, t) in self.townships.iter().enumerate() {
            for form in [&t.name, &t.short] {
                if self.resolve_township(form) != [i] {
                    bail!("township form {form} does not resolve to {} alone", t.name);
                }
            }
        }
        Ok(())
    }

    /// A village of another township whose name (as written) does not resolve within
    /// township `t`: what a clerk writes when putting a village under the wrong township.
    pub fn foreign_village_text(&self, t: usize, rng: &mut SplitMix64) -> String {
        loop {
            let v = rng.below(self.villages.len() as u64) as usize;
            if self.villages[v].township == t {
                continue;
            }
            let text = self.village_text(v, rng, 0.5);
            if self.resolve_village(t, &text).is_empty() {
                return text;
            }
        }
    }

    /// A misspelt township (`湖投镇`) that resolves to none.
    pub fn township_typo(&self, k: u64) -> String {
        const TYPOS: &[&str] = &[
            "湖投镇",
            "官侨镇",
            "感徳镇",
            "西平镇",
            "尚青乡",
            "龙娟乡",
            "蓬来镇",
        ];
        let s = TYPOS[(k % TYPOS.len() as u64) as usize];
        debug_assert!(self.resolve_township(s).is_empty());
        s.to_string()
    }

    /// Indexes of the administrative villages (村委会) of township `t`.
    pub fn admin_villages(&self, t: usize) -> Vec<usize> {
        self.townships[t]
            .villages
            .iter()
            .copied()
            .filter(|&v| self.villages[v].kind == VillageKind::Admin)
            .collect()
    }

    /// A township drawn by e-commerce weight.
    pub fn weighted_township(&self, rng: &mut SplitMix64) -> usize {
        let w: Vec<f64> = self.townships.iter().map(|t| t.weight).collect();
        rng.weighted(&w)
    }

    /// Village part of an address: `郭埔村` / `城关社区` / the full name for a 生活区.
    pub fn village_address(&self, v: usize) -> String {
        self.village_short_forms(v)
            .into_iter()
            .next()
            .map(|s| {
                if s.ends_with('村') || s.ends_with("社区") {
                    s
                } else {
                    format!("{s}村")
                }
            })
            .unwrap_or_else(|| self.villages[v].name.clone())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn reference() -> Reference {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../sample_data/reference");
        Reference::load(&dir).expect("reference data")
    }

    #[test]
    fn loads_the_county() {
        let r = reference();
        assert_eq!(r.county_code, "350524000000");
        assert_eq!(r.townships[2].name, "湖头镇");
        assert_eq!(r.townships[2].short, "湖头");
        let admin = r
            .villages
            .iter()
            .filter(|v| v.kind == VillageKind::Admin)
            .count();
        assert_eq!(admin, 443);
        assert_eq!(r.shops.len(), 32);
    }

    #[test]
    fn typos_and_foreign_villages_resolve_to_nothing() {
        let r = reference();
        for k in 0..7 {
            assert!(r.resolve_township(&r.township_typo(k)).is_empty());
        }
        let mut rng = SplitMix64::new(1);
        for t in 0..24 {
            let text = r.foreign_village_text(t, &mut rng);
            assert!(r.resolve_village(t, &text).is_empty(), "{text}");
        }
        let hutou = r.township_by_name("湖头镇").unwrap_or(0);
        assert!(r.resolve_township("湖投镇").is_empty());
        assert_eq!(r.resolve_township("\u{3000}湖头\u{3000}"), [hutou]);
    }
}
