#!/usr/bin/env python3
"""Checks that a chart page from `rlm bench report` really draws its lines in a browser.

Usage: check_chart_render.py CHART.html [--save PNG] [--min-pixels N] [--min-spread PX]

Renders the page in headless Chromium, decodes the screenshot with the standard library only,
and checks that each method's colour (read from the page's legend, `data-color`) covers at
least N pixels spread across the page: the legend alone is one small swatch per suite, so
only lines and markers drawn in the charts can pass.

Exit codes: 0 the charts show; 1 they do not (or the page cannot be rendered); 77 skipped
because no Chromium is installed.
"""

import argparse
import html
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import zlib

CHROMIUM_TIMEOUT_SECONDS = 60
WINDOW = (1200, 2000)
TOLERANCE = 10  # per channel: the core of a line is drawn in its exact colour


class CheckFailed(Exception):
    pass


def find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def legend_colours(page):
    """{method: (r, g, b)} from the legend items `<li data-method=".." data-color="#rrggbb">`."""
    colours = {}
    for method, colour in re.findall(r'<li data-method="([^"]*)" data-color="#([0-9a-fA-F]{6})"',
                                     page):
        colours[html.unescape(method)] = tuple(int(colour[i:i + 2], 16) for i in (0, 2, 4))
    return colours


def screenshot(chromium, page_path, png_path, profile_dir):
    command = [
        chromium, "--headless", "--disable-gpu", "--no-sandbox", "--hide-scrollbars",
        f"--user-data-dir={profile_dir}", "--no-first-run", "--no-default-browser-check",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-default-apps", "--disable-extensions",
        # the page needs no network; a dead proxy makes sure nothing leaves the machine
        "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
        f"--screenshot={png_path}", f"--window-size={WINDOW[0]},{WINDOW[1]}",
        "file://" + os.path.abspath(page_path),
    ]
    # A session of its own, so a timeout can stop Chromium's helper processes too.
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               start_new_session=True)
    try:
        output, _ = process.communicate(timeout=CHROMIUM_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise CheckFailed(f"chromium did not finish within {CHROMIUM_TIMEOUT_SECONDS} s")
    if not os.path.exists(png_path) or os.path.getsize(png_path) == 0:
        tail = output.decode(errors="replace").strip().splitlines()[-5:]
        raise CheckFailed("chromium wrote no screenshot (exit %d): %s"
                          % (process.returncode, " | ".join(tail)))


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def unfilter(kind, line, previous, bpp):
    """Undoes one scanline's PNG filter (types 0-4) in place."""
    if kind == 0:
        return line
    if kind == 1:
        for i in range(bpp, len(line)):
            line[i] = (line[i] + line[i - bpp]) & 0xFF
    elif kind == 2:
        for i in range(len(line)):
            line[i] = (line[i] + previous[i]) & 0xFF
    elif kind == 3:
        for i in range(len(line)):
            left = line[i - bpp] if i >= bpp else 0
            line[i] = (line[i] + ((left + previous[i]) >> 1)) & 0xFF
    elif kind == 4:
        for i in range(len(line)):
            left = line[i - bpp] if i >= bpp else 0
            up_left = previous[i - bpp] if i >= bpp else 0
            line[i] = (line[i] + paeth(left, previous[i], up_left)) & 0xFF
    else:
        raise CheckFailed(f"PNG: unknown filter type {kind}")
    return line


def decode_png(data):
    """(width, height, bytes per pixel, rows of bytes) for 8-bit RGB or RGBA, not interlaced."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise CheckFailed("screenshot is not a PNG")
    at, header, idat = 8, None, []
    while at < len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        body = data[at + 8:at + 8 + length]
        at += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    if header is None:
        raise CheckFailed("PNG: no IHDR chunk")
    width, height, depth, colour_type, _, _, interlace = header
    if depth != 8 or colour_type not in (2, 6) or interlace != 0:
        raise CheckFailed(f"PNG: unsupported format (depth {depth}, colour type {colour_type}, "
                          f"interlace {interlace})")
    bpp = 3 if colour_type == 2 else 4
    raw = zlib.decompress(b"".join(idat))
    stride = width * bpp
    rows, previous = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        line = unfilter(raw[start], bytearray(raw[start + 1:start + 1 + stride]), previous, bpp)
        rows.append(line)
        previous = line
    return width, height, bpp, rows


def colour_coverage(image, colour):
    """(pixels within TOLERANCE of `colour`, leftmost x, rightmost x)."""
    width, _, bpp, rows = image
    count, left, right = 0, width, -1
    r0, g0, b0 = colour
    for line in rows:
        for x in range(width):
            i = x * bpp
            if (abs(line[i] - r0) <= TOLERANCE and abs(line[i + 1] - g0) <= TOLERANCE
                    and abs(line[i + 2] - b0) <= TOLERANCE):
                count += 1
                left, right = min(left, x), max(right, x)
    return count, left, right


def check(page_path, save, min_pixels, min_spread):
    chromium = find_chromium()
    if chromium is None:
        print("check_chart_render: skipped: no chromium or chromium-browser on PATH "
              "(apt-get install chromium)")
        return 77
    with open(page_path, encoding="utf-8") as f:
        colours = legend_colours(f.read())
    if not colours:
        raise CheckFailed(f"{page_path} has no legend with data-color: nothing to look for")
    with tempfile.TemporaryDirectory(prefix="rlm-chart-") as scratch:
        png_path = save or os.path.join(scratch, "chart.png")
        screenshot(chromium, page_path, png_path, os.path.join(scratch, "profile"))
        with open(png_path, "rb") as f:
            image = decode_png(f.read())
    problems = []
    for method, colour in colours.items():
        count, left, right = colour_coverage(image, colour)
        spread = right - left if count else 0
        print(f"{method}: #{bytes(colour).hex()} covers {count} pixels, x {left}..{right}")
        if count < min_pixels:
            problems.append(f"{method}: only {count} pixels of #{bytes(colour).hex()} "
                            f"(want at least {min_pixels})")
        elif spread < min_spread:
            problems.append(f"{method}: #{bytes(colour).hex()} spans only {spread} px across "
                            f"(want {min_spread}): the legend shows but no chart line does")
    if problems:
        raise CheckFailed("; ".join(problems))
    print(f"check_chart_render: ok: {len(colours)} methods drawn in {page_path}")
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("page", help="the chart HTML file")
    parser.add_argument("--save", help="keep the screenshot at this path")
    parser.add_argument("--min-pixels", type=int, default=200)
    parser.add_argument("--min-spread", type=int, default=300,
                        help="how far apart (px) a colour's leftmost and rightmost pixels must be")
    args = parser.parse_args()
    try:
        return check(args.page, args.save, args.min_pixels, args.min_spread)
    except (CheckFailed, OSError, zlib.error) as error:
        print(f"check_chart_render: FAILED: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
