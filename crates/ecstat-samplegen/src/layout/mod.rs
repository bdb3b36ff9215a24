//! Owns the four platform export layouts: exact header names, file names,
//! encodings, and how one order line is spelled in each.

pub mod douyin;
pub mod jd;
pub mod pinduoduo;
pub mod real;
pub mod taobao;

use std::fmt;
use std::io::Write;

use anyhow::Result;

use crate::anxi::COUNTY_PREFIX;
use crate::messy::BadKind;
use crate::orders::{IdScheme, Line};
use crate::shops::{Platform, Registration, Shop};
use crate::textout::{CsvSink, LineEnding, TextEncoding};

/// The three CSV layouts (JD exports xlsx, see [`jd`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CsvLayout {
    Taobao,
    Pinduoduo,
    Douyin,
}

impl CsvLayout {
    pub fn platform(self) -> Platform {
        match self {
            CsvLayout::Taobao => Platform::Taobao,
            CsvLayout::Pinduoduo => Platform::Pinduoduo,
            CsvLayout::Douyin => Platform::Douyin,
        }
    }

    pub fn header(self) -> &'static [&'static str] {
        match self {
            CsvLayout::Taobao => taobao::HEADER,
            CsvLayout::Pinduoduo => pinduoduo::HEADER,
            CsvLayout::Douyin => douyin::HEADER,
        }
    }

    pub fn file_name(self, year: i32) -> String {
        match self {
            CsvLayout::Taobao => format!("淘宝订单导出_{year}.csv"),
            CsvLayout::Pinduoduo => format!("拼多多订单_{year}.csv"),
            CsvLayout::Douyin => format!("抖音小店订单_{year}.csv"),
        }
    }

    /// The encoding each platform's backend really exports in.
    pub fn native_encoding(self) -> TextEncoding {
        match self {
            CsvLayout::Taobao => TextEncoding::Gbk,
            CsvLayout::Pinduoduo => TextEncoding::Utf8Bom,
            CsvLayout::Douyin => TextEncoding::Utf8,
        }
    }

    pub fn line_ending(self) -> LineEnding {
        match self {
            CsvLayout::Taobao => LineEnding::CrLf,
            CsvLayout::Pinduoduo | CsvLayout::Douyin => LineEnding::Lf,
        }
    }

    pub fn write_header<W: Write>(self, sink: &mut CsvSink<W>) -> Result<()> {
        sink.record(self.header())
    }

    /// Writes one line (twice for a duplicate); returns physical rows written.
    pub fn write_line<W: Write>(
        self,
        sink: &mut CsvSink<W>,
        ids: &IdScheme,
        line: &Line<'_>,
        bad: Option<BadKind>,
    ) -> Result<u64> {
        let render = |sink: &mut CsvSink<W>| -> Result<()> {
            match self {
                CsvLayout::Taobao => taobao::write_row(sink, ids, line, bad),
                CsvLayout::Pinduoduo => pinduoduo::write_row(sink, ids, line, bad),
                CsvLayout::Douyin => douyin::write_row(sink, ids, line, bad),
            }
        };
        render(sink)?;
        if bad == Some(BadKind::DuplicateLine) {
            render(sink)?;
            return Ok(2);
        }
        Ok(1)
    }
}

/// How a layout spells an in-county ship-from address.
#[derive(Debug, Clone, Copy)]
pub enum AddressStyle {
    /// `福建省泉州市安溪县感德镇`
    Compact,
    /// `福建省 泉州市 安溪县 感德镇` (Douyin separates levels with spaces)
    Spaced,
    /// `福建省泉州市安溪县感德镇58号` (JD shows a street-level address)
    Street,
}

/// The ship-from field of a line; `Display` so streaming never allocates.
pub struct ShipFrom<'a> {
    pub shop: &'a Shop,
    pub blank: bool,
    pub style: AddressStyle,
}

impl fmt::Display for ShipFrom<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let town = self.shop.township.name;
        match self.shop.registration {
            Registration::Unattributed { ship_from } => f.write_str(ship_from),
            Registration::Registered if self.blank => Ok(()),
            Registration::Registered | Registration::ShipsFromTownship => match self.style {
                AddressStyle::Compact => write!(f, "{COUNTY_PREFIX}{town}"),
                AddressStyle::Spaced => write!(f, "福建省 泉州市 安溪县 {town}"),
                AddressStyle::Street => {
                    let no = self.shop.number % 97 * 3 + 8;
                    write!(f, "{COUNTY_PREFIX}{town}{no}号")
                }
            },
        }
    }
}

/// Money with the `元` suffix Pinduoduo puts on every amount.
pub struct Yuan(pub i64);

impl fmt::Display for Yuan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}元", crate::textout::Money(self.0))
    }
}
