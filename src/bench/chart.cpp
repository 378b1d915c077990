// Draws a bench Summary as one HTML page. Each chart is built in two steps: the rows become
// series in scale units (log2 of the length on x; percent, or log10 of tokens, on y), then one
// pair of functions maps scale units to pixels. Every value from the data is made finite and
// every axis is given a non-empty range first, so no NaN or infinity can reach the SVG.
#include "rlm/bench/chart.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <iterator>
#include <limits>
#include <optional>
#include <string_view>
#include <vector>

namespace rlm::bench {
namespace {

// Okabe-Ito colours, told apart with the common colour-vision deficiencies; the marker shape
// changes too, so two methods never look alike.
constexpr std::array<std::string_view, 7> k_palette{"#0072b2", "#d55e00", "#009e73", "#cc79a7",
                                                    "#e69f00", "#56b4e9", "#000000"};
constexpr std::size_t k_shapes = 4; // circle, square, diamond, triangle

// The chart's frame in pixels: the plot area is what the margins leave.
constexpr double k_width = 540;
constexpr double k_height = 340;
constexpr double k_left = 64;
constexpr double k_right = 18;
constexpr double k_top = 40;
constexpr double k_bottom = 54;

constexpr std::string_view k_truncated_note =
    "truncated: the document did not fit the model's context, or the server cut it (scored 0)";

struct Tick {
  double at = 0; // in scale units
  std::string label;
};

struct Axis {
  double lo = 0; // lo < hi always
  double hi = 1;
  std::vector<Tick> ticks;
  std::string title;
};

struct Point {
  double x = 0; // in scale units
  double y = 0;
  bool hollow = false; // every task was truncated
  std::string tip;
};

struct Series {
  std::string method;
  std::size_t style = 0; // picks colour and shape
  std::vector<Point> points;
};

struct Chart {
  std::string title;
  Axis x;
  Axis y;
  std::vector<Series> series;
};

using Rows = std::vector<const SummaryRow*>;

// Strings come from result files written by anyone: nothing in them may become markup.
std::string escape_html(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
    case '&': out += "&amp;"; break;
    case '<': out += "&lt;"; break;
    case '>': out += "&gt;"; break;
    case '"': out += "&quot;"; break;
    case '\'': out += "&#39;"; break;
    default:
      if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t')
        out += "&#xfffd;";
      else
        out += c;
    }
  }
  return out;
}

double finite_or_zero(double value) { return std::isfinite(value) ? value : 0.0; }

// "4k", "1.5k", "1M" for `value` counted in powers of `base` (1024 for lengths, 1000 for
// token counts).
std::string short_number(double value, double base, std::string_view suffixes) {
  std::size_t unit = 0;
  while (value >= base && unit < suffixes.size()) {
    value /= base;
    ++unit;
  }
  if (unit == 0) return fmt::format("{:.4g}", value);
  return fmt::format("{:.4g}{}", value, suffixes[unit - 1]);
}

std::string length_text(std::int64_t tokens) {
  return short_number(static_cast<double>(tokens), 1024, "kMGTPE");
}

// 1234567 -> "1,234,567"; values too large for an integer are written in exponent form.
std::string count_text(double value) {
  value = finite_or_zero(value);
  if (std::abs(value) >= 1e15) return fmt::format("{:.3g}", value);
  std::string digits = fmt::format("{}", std::llround(std::abs(value)));
  for (auto at = digits.size(); at > 3; at -= 3) digits.insert(at - 3, ",");
  return value <= -0.5 ? "-" + digits : digits;
}

bool all_truncated(const SummaryRow& row) { return row.tasks > 0 && row.truncated >= row.tasks; }

double length_x(const SummaryRow& row) {
  return std::log2(static_cast<double>(std::max<std::int64_t>(row.length_tokens, 1)));
}

double accuracy_y(const SummaryRow& row) {
  return 100.0 * std::clamp(finite_or_zero(row.accuracy), 0.0, 1.0);
}

// A log scale has no zero, and no tokens (a document that never reached the model) is not a
// cost worth a point: the line simply ends. Under one token per task is drawn at one.
std::optional<double> tokens_y(const SummaryRow& row) {
  const double total = finite_or_zero(row.mean_root_tokens) + finite_or_zero(row.mean_sub_tokens);
  if (total <= 0) return std::nullopt;
  return std::log10(std::clamp(total, 1.0, std::numeric_limits<double>::max()));
}

// Whole steps from `lo` to `hi` (scale units), thinned to at most `most` so labels never crowd.
std::vector<double> tick_steps(double lo, double hi, double most) {
  const double count = std::floor(hi) - std::ceil(lo) + 1;
  const double step = std::max(1.0, std::ceil(count / most));
  std::vector<double> steps;
  for (double at = std::ceil(lo); at <= hi; at += step) steps.push_back(at);
  return steps;
}

// log2 of the length, one tick per doubling, padded so the end points clear the frame.
Axis length_axis(const Rows& rows) {
  double lo = std::numeric_limits<double>::max();
  double hi = std::numeric_limits<double>::lowest();
  for (const auto* row : rows) {
    lo = std::min(lo, length_x(*row));
    hi = std::max(hi, length_x(*row));
  }
  const double pad = hi - lo < 1 ? 1.0 : 0.3; // one length alone still gets a doubling each side
  Axis axis{lo - pad, hi + pad, {}, "document length in tokens (k = 1024), log scale"};
  for (const double at : tick_steps(axis.lo, axis.hi, 12))
    axis.ticks.push_back({at, short_number(std::exp2(at), 1024, "kMGTPE")});
  return axis;
}

Axis accuracy_axis() {
  Axis axis{-5, 105, {}, "accuracy"};
  for (int percent = 0; percent <= 100; percent += 20)
    axis.ticks.push_back({static_cast<double>(percent), fmt::format("{}%", percent)});
  return axis;
}

// log10 of tokens per task over whole decades, so tick labels read 1k, 10k, 100k, 1M.
Axis tokens_axis(const Rows& rows) {
  double lo = std::numeric_limits<double>::max();
  double hi = 0;
  for (const auto* row : rows) {
    if (const auto y = tokens_y(*row)) {
      lo = std::min(lo, *y);
      hi = std::max(hi, *y);
    }
  }
  lo = std::floor(std::min(lo, hi)); // no tokens anywhere: 1 to 10
  hi = std::max(std::ceil(hi), lo + 1);
  Axis axis{lo - 0.08 * (hi - lo), hi + 0.08 * (hi - lo), {}, "tokens per task, log scale"};
  for (const double at : tick_steps(lo, hi, 7))
    axis.ticks.push_back({at, short_number(std::pow(10.0, at), 1000, "kMBT")});
  return axis;
}

std::string point_tip(const SummaryRow& row) {
  std::string tip = fmt::format("{}, {} tokens: {:.1f}% over {} tasks, {} tokens per task",
                                row.method, length_text(row.length_tokens), accuracy_y(row),
                                row.tasks, count_text(row.mean_root_tokens + row.mean_sub_tokens));
  if (row.truncated > 0) tip += fmt::format("; {} truncated", row.truncated);
  return tip;
}

// One series per method, in `methods` order (so colours agree across suites), left to right.
std::vector<Series> build_series(const Rows& rows, const std::vector<std::string>& methods,
                                 std::optional<double> (*y_of)(const SummaryRow&)) {
  std::vector<Series> all;
  for (std::size_t style = 0; style < methods.size(); ++style) {
    Series series{methods[style], style, {}};
    for (const auto* row : rows) {
      const auto y = y_of(*row);
      if (row->method == methods[style] && y)
        series.points.push_back({length_x(*row), *y, all_truncated(*row), point_tip(*row)});
    }
    std::stable_sort(series.points.begin(), series.points.end(),
                     [](const Point& a, const Point& b) { return a.x < b.x; });
    if (!series.points.empty()) all.push_back(std::move(series));
  }
  return all;
}

double pixel_x(const Axis& axis, double at) {
  return k_left + (at - axis.lo) / (axis.hi - axis.lo) * (k_width - k_left - k_right);
}

double pixel_y(const Axis& axis, double at) {
  return k_height - k_bottom - (at - axis.lo) / (axis.hi - axis.lo) * (k_height - k_top - k_bottom);
}

std::string_view colour_of(std::size_t style) { return k_palette[style % k_palette.size()]; }

// Fill and stroke of a marker; hollow (white inside) marks an all-truncated point.
std::string paint(std::string_view colour, bool hollow) {
  return fmt::format(R"(fill="{}" stroke="{}" stroke-width="2")",
                     hollow ? std::string_view{"#ffffff"} : colour, colour);
}

// A circle, square, diamond or triangle centred on (x, y) pixels.
std::string shape(std::size_t kind, double x, double y, const std::string& paint) {
  switch (kind % k_shapes) {
  case 0: return fmt::format(R"(<circle cx="{:.1f}" cy="{:.1f}" r="4.5" {}/>)", x, y, paint);
  case 1:
    return fmt::format(R"(<rect x="{:.1f}" y="{:.1f}" width="8" height="8" {}/>)", x - 4, y - 4,
                       paint);
  case 2:
    return fmt::format(
        R"(<polygon points="{:.1f},{:.1f} {:.1f},{:.1f} {:.1f},{:.1f} {:.1f},{:.1f}" {}/>)", x,
        y - 5.5, x + 5.5, y, x, y + 5.5, x - 5.5, y, paint);
  default:
    return fmt::format(R"(<polygon points="{:.1f},{:.1f} {:.1f},{:.1f} {:.1f},{:.1f}" {}/>)", x,
                       y - 5.5, x + 5, y + 3.5, x - 5, y + 3.5, paint);
  }
}

std::string marker(std::size_t style, double x, double y, bool hollow) {
  return shape(style, x, y, paint(colour_of(style), hollow));
}

std::string render_axes(const Chart& chart) {
  std::string out;
  auto it = std::back_inserter(out);
  const double bottom = k_height - k_bottom;
  for (const auto& tick : chart.y.ticks) {
    const double y = pixel_y(chart.y, tick.at);
    fmt::format_to(it, R"(<line class="grid" x1="{:.1f}" y1="{:.1f}" x2="{:.1f}" y2="{:.1f}"/>)",
                   k_left, y, k_width - k_right, y);
    fmt::format_to(it, R"(<text class="tick" x="{:.1f}" y="{:.1f}" text-anchor="end">{}</text>)",
                   k_left - 8, y + 4, tick.label);
  }
  for (const auto& tick : chart.x.ticks) {
    const double x = pixel_x(chart.x, tick.at);
    fmt::format_to(it, R"(<line class="grid" x1="{:.1f}" y1="{:.1f}" x2="{:.1f}" y2="{:.1f}"/>)", x,
                   k_top, x, bottom);
    fmt::format_to(it, R"(<text class="tick" x="{:.1f}" y="{:.1f}" text-anchor="middle">{}</text>)",
                   x, bottom + 18, tick.label);
  }
  fmt::format_to(it, R"(<rect class="frame" x="{}" y="{}" width="{}" height="{}"/>)", k_left, k_top,
                 k_width - k_left - k_right, bottom - k_top);
  fmt::format_to(it, R"(<text class="axis" x="{:.1f}" y="{:.1f}" text-anchor="middle">{}</text>)",
                 (k_left + k_width - k_right) / 2, k_height - 10, chart.x.title);
  fmt::format_to(it,
                 R"svg(<text class="axis" transform="translate(16 {:.1f}) rotate(-90)" )svg"
                 R"(text-anchor="middle">{}</text>)",
                 (k_top + bottom) / 2, chart.y.title);
  return out;
}

std::string render_series(const Chart& chart, const Series& series) {
  std::string points;
  std::string markers;
  for (const auto& point : series.points) {
    const double x = pixel_x(chart.x, point.x);
    const double y = pixel_y(chart.y, point.y);
    fmt::format_to(std::back_inserter(points), "{}{:.1f},{:.1f}", points.empty() ? "" : " ", x, y);
    fmt::format_to(std::back_inserter(markers), R"(<g class="point"><title>{}</title>{}</g>)",
                   escape_html(point.tip), marker(series.style, x, y, point.hollow));
  }
  return fmt::format(R"(<g class="series" data-method="{}"><polyline class="line" points="{}" )"
                     R"(fill="none" stroke="{}" stroke-width="2.5"/>{}</g>)",
                     escape_html(series.method), points, colour_of(series.style), markers);
}

std::string render_chart(const Chart& chart) {
  std::string out = fmt::format(R"(<svg class="chart" width="{0}" height="{1}" )"
                                R"(viewBox="0 0 {0} {1}" role="img" aria-label="{2}">)"
                                R"(<text class="chart-title" x="{3}" y="24">{2}</text>)",
                                k_width, k_height, chart.title, k_left);
  out += render_axes(chart);
  for (const auto& series : chart.series) out += render_series(chart, series);
  // Only the token chart can be empty: rows whose tasks spent no tokens have no point on it.
  if (chart.series.empty())
    out += fmt::format(R"(<text class="tick" x="{:.1f}" y="{:.1f}" text-anchor="middle">)"
                       "no tokens were recorded</text>",
                       (k_left + k_width - k_right) / 2, (k_top + k_height - k_bottom) / 2);
  return out + "</svg>";
}

std::string render_legend(const std::vector<Series>& series, bool any_truncated) {
  std::string out = R"(<ul class="legend">)";
  for (const auto& one : series)
    fmt::format_to(std::back_inserter(out),
                   R"(<li data-method="{}" data-color="{}"><svg width="34" height="14">)"
                   R"(<line x1="2" y1="7" x2="32" y2="7" stroke="{}" stroke-width="2.5"/>{}</svg>)"
                   R"({}</li>)",
                   escape_html(one.method), colour_of(one.style), colour_of(one.style),
                   marker(one.style, 17, 7, false), escape_html(one.method));
  if (any_truncated)
    fmt::format_to(std::back_inserter(out),
                   R"(<li><svg width="34" height="14">{}</svg>hollow marker = {}</li>)",
                   shape(0, 17, 7, paint("#57606a", true)), k_truncated_note);
  return out + "</ul>";
}

std::string table_row(const SummaryRow& row, bool with_cost) {
  std::string out = fmt::format(
      R"(<tr{}><td>{}</td><td>{}</td>)"
      R"(<td>{}</td><td>{:.1f}%</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.2f}</td>)",
      all_truncated(row) ? R"( class="truncated")" : "", escape_html(row.method),
      length_text(row.length_tokens), row.tasks, accuracy_y(row), row.truncated, row.errors,
      count_text(row.mean_root_tokens), count_text(row.mean_sub_tokens),
      finite_or_zero(row.mean_seconds));
  if (with_cost)
    out += row.mean_cost ? fmt::format("<td>{:.4f}</td>", finite_or_zero(*row.mean_cost))
                         : std::string{"<td>&ndash;</td>"};
  return out + "</tr>";
}

std::string render_table(const Rows& rows) {
  const bool with_cost =
      std::any_of(rows.begin(), rows.end(), [](auto* r) { return r->mean_cost; });
  std::string out = R"(<div class="scroll"><table><thead><tr><th>method</th><th>length</th>)"
                    "<th>tasks</th><th>accuracy</th><th>truncated</th><th>errors</th>"
                    "<th>root tokens</th><th>sub tokens</th><th>seconds</th>";
  out += with_cost ? "<th>cost</th></tr></thead><tbody>" : "</tr></thead><tbody>";
  for (const auto* row : rows) out += table_row(*row, with_cost);
  return out + "</tbody></table></div>";
}

std::string render_suite(const std::string& suite, const Rows& rows,
                         const std::vector<std::string>& methods) {
  const Axis x = length_axis(rows);
  const auto accuracy_point = [](const SummaryRow& row) -> std::optional<double> {
    return accuracy_y(row);
  };
  const Chart accuracy{"Accuracy", x, accuracy_axis(), build_series(rows, methods, accuracy_point)};
  const Chart tokens{"Tokens per task (root + sub-calls)", x, tokens_axis(rows),
                     build_series(rows, methods, tokens_y)};
  const bool any_truncated =
      std::any_of(rows.begin(), rows.end(), [](auto* r) { return r->truncated > 0; });
  std::string out = fmt::format(R"(<section class="suite"><h2>{}</h2>)", escape_html(suite));
  out += render_legend(accuracy.series, any_truncated);
  out += R"(<div class="charts">)" + render_chart(accuracy) + render_chart(tokens) + "</div>";
  out += render_table(rows);
  out += "<p class=\"note\">Per task: accuracy is the mean score; tokens are prompt + completion "
         "tokens; seconds are wall time. Lengths in tokens, k = 1024.";
  if (any_truncated) out += fmt::format(" {}.", k_truncated_note);
  return out + "</p></section>";
}

// Distinct values of `field` in the order they first appear.
std::vector<std::string> distinct(const std::vector<SummaryRow>& rows,
                                  std::string SummaryRow::*field) {
  std::vector<std::string> seen;
  for (const auto& row : rows)
    if (std::find(seen.begin(), seen.end(), row.*field) == seen.end()) seen.push_back(row.*field);
  return seen;
}

std::string render_header(const Summary& summary, const std::string& title) {
  std::string out = fmt::format("<header><h1>{}</h1>", escape_html(title));
  // A label such as "scripted model" says these are not a real model's numbers: it must
  // not be missed.
  if (!summary.labels.empty()) {
    out += R"(<p class="labels">&#9888; Labelled:)";
    for (const auto& label : summary.labels)
      out += fmt::format(R"( <strong class="label">{}</strong>)", escape_html(label));
    out += "</p>";
  }
  out += R"(<p class="models">Models:)";
  for (const auto& model : summary.models)
    out += fmt::format(R"( <span class="model">{}</span>)", escape_html(model));
  if (summary.models.empty()) out += " (none recorded)";
  return out + "</p></header>";
}

constexpr std::string_view k_style = R"(<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
color:#1f2328;background:#fff;margin:24px auto;max-width:1140px;padding:0 16px}
h1{font-size:26px;margin:0 0 12px}
h2{font-size:20px;margin:32px 0 8px;padding-bottom:4px;border-bottom:2px solid #d0d7de}
.labels{background:#fff3bf;border:2px solid #e0a800;border-radius:6px;padding:10px 14px;
font-size:18px;margin:0 0 12px}
.label{background:#e0a800;color:#1f2328;border-radius:4px;padding:2px 8px;margin-left:4px}
.models{color:#57606a;margin:0 0 8px}
.model{font-family:ui-monospace,Menlo,Consolas,monospace;background:#f6f8fa;border:1px solid #d0d7de;
border-radius:4px;padding:1px 6px;margin-left:4px;color:#1f2328}
.legend{list-style:none;padding:0;margin:8px 0;display:flex;flex-wrap:wrap;gap:6px 22px}
.legend li{display:flex;align-items:center;gap:6px;font-size:14px}
.charts{display:flex;flex-wrap:wrap;gap:16px}
.chart{max-width:100%;height:auto;border:1px solid #d0d7de;border-radius:6px;background:#fff}
.chart-title{font-size:15px;font-weight:600;fill:#1f2328}
.grid{stroke:#e6e9ed;stroke-width:1}
.frame{fill:none;stroke:#8c959f;stroke-width:1}
.tick{font-size:12px;fill:#57606a}
.axis{font-size:12px;fill:#1f2328}
.scroll{overflow-x:auto}
table{border-collapse:collapse;margin:16px 0 4px;font-size:14px;font-variant-numeric:tabular-nums}
th,td{padding:4px 10px;border-bottom:1px solid #d0d7de;text-align:right}
th:first-child,td:first-child{text-align:left}
th{background:#f6f8fa;font-weight:600}
tr.truncated td{color:#8c959f;font-style:italic}
.note,.empty{color:#57606a;font-size:13px}
</style>)";

} // namespace

std::string chart_html(const Summary& summary, const std::string& title) {
  std::string out = fmt::format("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                                "<title>{}</title>{}</head><body>",
                                escape_html(title), k_style);
  out += render_header(summary, title);
  if (summary.rows.empty()) out += R"(<p class="empty">No results to show.</p>)";
  const auto methods = distinct(summary.rows, &SummaryRow::method);
  for (const auto& suite : distinct(summary.rows, &SummaryRow::suite)) {
    Rows rows;
    for (const auto& row : summary.rows)
      if (row.suite == suite) rows.push_back(&row);
    out += render_suite(suite, rows, methods);
  }
  return out + "</body></html>\n";
}

} // namespace rlm::bench
