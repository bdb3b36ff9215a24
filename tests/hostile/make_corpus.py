#!/usr/bin/env python3
"""Write the hostile-input corpus of tests/hostile/ (issue #6), or into the folder given
as the only argument (.ci/run compares the two). Deterministic: the same bytes every time.
Standard library only. See README.md for what each file is and what ingestion must
answer; tests/it/hostile.rs checks it, and generates the big cases (200 MB line, a sheet
that inflates to 2 GiB, 100,000 nested brackets) at run time."""

import random
import struct
import sys
import zipfile
import zlib
from pathlib import Path

OUT = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent
PLATFORMS = OUT / "platforms"
PROVINCIAL = OUT / "provincial"

PDD_HEADER = (
    "订单号,店铺ID,店铺名称,商品,商品数量,商品总价(元),运费(元),用户实付金额(元),"
    "订单状态 ,售后状态,退款金额(元),订单成交时间\n"
)


def pdd_row(order, shop_name="官桥红米店", item="官桥红米 2.5kg", amount="40.00"):
    return (
        f"{order},PDD1,{shop_name},{item},1,{amount}元,0.00元,{amount}元,"
        f"已签收,无售后,0.00元,2018-06-0{order[-1]} 12:00:00\n"
    )


def write(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def csv_files():
    export = PDD_HEADER + pdd_row("H-UTF16-1")
    write(PLATFORMS / "拼多多订单_utf16.csv", export.encode("utf-16"))  # BOM FF FE
    write(
        PLATFORMS / "拼多多订单_latin1.csv",
        "Bestellnummer,Größe,Café,Preis\n1,groß,crème brûlée,12,50 £\n".encode("latin-1"),
    )
    # GBK text for a spec forced to UTF-8, and UTF-8 text for one forced to GBK.
    write(PLATFORMS / "拼多多订单_gbk.csv", (PDD_HEADER + pdd_row("H-GBK-1")).encode("gbk"))
    write(PLATFORMS / "抖音小店订单_utf8.csv", "订单编号,商品名称,订单应付金额\n1,铁观音,10\n".encode())
    rng = random.Random(6)
    write(PLATFORMS / "拼多多订单_binary.csv", bytes(rng.randrange(256) for _ in range(4096)))
    write(PLATFORMS / "京东订单_binary.xlsx", bytes(rng.randrange(256) for _ in range(4096)))
    write(PLATFORMS / "拼多多订单_empty.csv", b"")
    write(PLATFORMS / "拼多多订单_bom_only.csv", b"\xef\xbb\xbf")
    # NUL bytes inside fields (quoted and not): text like any other.
    nul = PDD_HEADER + pdd_row("H-NUL-1", shop_name="官桥\x00红米店") + pdd_row(
        "H-NUL-2", item='"红\x00米, 2.5kg"'
    )
    write(PLATFORMS / "拼多多订单_nul.csv", nul.encode())
    # Formula text, quoted as the exports quote it: loaded as plain text, never evaluated.
    formula = (
        PDD_HEADER
        + pdd_row("H-FORMULA-1", shop_name="\"=cmd|' /C calc'!A0\"")
        + pdd_row("H-FORMULA-2", item='"@SUM(1+1)*cmd|\' /C calc\'!A0"')
        + pdd_row("H-FORMULA-3", item='"+HYPERLINK(""http://x"",""y"")"')
        + pdd_row("H-FORMULA-4", item='"-2+3"')
    )
    write(PLATFORMS / "拼多多订单_formula.csv", formula.encode())


# xlsx: 京东 layout (sheet 订单列表, a title row, the header on row 3).
JD_HEADER = [
    "订单号", "店铺编号", "店铺名称", "商品名称", "商品分类", "商品单价", "订购数量",
    "运费", "退款金额", "订单状态", "下单时间", "发货地址",
]


def jd_row(order):
    return [
        order, "JD1", "湖头京东店", "安溪铁观音 250g", "茶叶", "100.00", "1", "0.00",
        "0.00", "完成", "2018-03-01 10:00:00", "福建省泉州市安溪县湖头镇",
    ]


def column_name(index):
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def cell(row, col, text):
    text = text.replace("&", "&amp;").replace("<", "&lt;")
    return f'<c r="{column_name(col)}{row}" t="inlineStr"><is><t>{text}</t></is></c>'


def sheet_xml(rows, dimension=None, extra=""):
    """rows: (1-based row number, [cell texts]) ."""
    body = "".join(
        f'<row r="{r}">' + "".join(cell(r, c, t) for c, t in enumerate(cells)) + "</row>"
        for r, cells in rows
    )
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"{dim}<sheetData>{body}{extra}</sheetData></worksheet>"
    )


PACKAGE = {
    "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>",
    "_rels/.rels": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>",
    "xl/workbook.xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="订单列表" sheetId="1" r:id="rId1"/></sheets></workbook>',
    "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    "</Relationships>",
}


def xlsx(path, parts):
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in {**PACKAGE, **parts}.items():
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, text)


def xlsx_files():
    title = (1, ["京东商家后台订单导出"])
    header = (3, JD_HEADER)
    # Declares the whole sheet, A1:XFD1048576, and holds a cell in its last row and column
    # and one in the last row of column A: read as what it holds.
    xlsx(
        PLATFORMS / "京东订单_dimension.xlsx",
        {
            "xl/worksheets/sheet1.xml": sheet_xml(
                [title, header, (4, jd_row("H-DIM-1")), (5, jd_row("H-DIM-2"))],
                dimension="A1:XFD1048576",
                extra=f'<row r="1048576">{cell(1048576, 0, "H-DIM-LAST")}'
                f'{cell(1048576, 16383, "far")}</row>',
            )
        },
    )
    # 10,000 columns on every row; the export's own columns first.
    filler = ["x"] * (10_000 - len(JD_HEADER))
    xlsx(
        PLATFORMS / "京东订单_columns.xlsx",
        {
            "xl/worksheets/sheet1.xml": sheet_xml(
                [title, (3, JD_HEADER + filler), (4, jd_row("H-COLS-1") + filler),
                 (5, jd_row("H-COLS-2") + filler)],
                dimension="A1:NTP5",
            )
        },
    )
    # A shared-string table declaring 100 billion strings: calamine reserves room for
    # them before reading one, and the allocation failure aborted the process.
    xlsx(
        PLATFORMS / "京东订单_sst_count.xlsx",
        {
            "xl/sharedStrings.xml": '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'count="1" uniqueCount="100000000000"><si><t>订单号</t></si></sst>',
            "xl/worksheets/sheet1.xml": sheet_xml([title, header]),
        },
    )
    # A sheet whose central directory says 1,000 bytes while its data inflates to 10 MiB
    # of XML: the zip reader must stop at the declared size.
    liar = sheet_xml([title, header]).replace(
        "<sheetData>", "<sheetData>" + " " * (10 << 20)
    ).encode()
    write_liar(PLATFORMS / "京东订单_liar.xlsx", liar, declared=1000)


def write_liar(path, sheet, declared):
    """A package like xlsx() whose sheet entry declares `declared` inflated bytes."""
    entries = [(n, t.encode(), None) for n, t in PACKAGE.items()]
    entries.append(("xl/worksheets/sheet1.xml", sheet, declared))
    out, central = bytearray(), bytearray()
    for name, data, size in entries:
        compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
        packed = compressor.compress(data) + compressor.flush()
        crc = zlib.crc32(data)
        size = len(data) if size is None else size
        name_bytes = name.encode()
        header = struct.pack(
            "<IHHHHHIIIHH", 0x04034B50, 20, 0x800, 8, 0, 0x21, crc, len(packed), size,
            len(name_bytes), 0,
        )
        central += struct.pack(
            "<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0x800, 8, 0, 0x21, crc, len(packed),
            size, len(name_bytes), 0, 0, 0, 0, 0, len(out),
        ) + name_bytes
        out += header + name_bytes + packed
    end = struct.pack(
        "<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(central), len(out), 0
    )
    write(path, bytes(out + central + end))


def json_files():
    # The provincial response's shape, wrong in two ways: records not an array, and an
    # array of things that are not records.
    write(PROVINCIAL / "网络零售统计_2030.json", b'{"code":0,"data":{"records":{"regionCode":"350524000000"}}}')
    write(PROVINCIAL / "网络零售统计_2031.json", b'{"code":0,"data":{"records":[1,"x",[2],null]}}')


if __name__ == "__main__":
    csv_files()
    xlsx_files()
    json_files()
