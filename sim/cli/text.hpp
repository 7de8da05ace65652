// Text helpers of the CLI: tables aligned by characters (not bytes: "§" is two bytes of
// UTF-8 but one column on a terminal) and counted nouns ("1 channel", "2 channels").
#pragma once

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gs::cli {

// Characters (UTF-8 code points) of `s`: its width on a terminal for the text we print.
inline std::size_t display_width(std::string_view s) {
  return static_cast<std::size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

inline std::string counted(std::size_t n, std::string_view noun) {
  return std::to_string(n) + " " + std::string(noun) + (n == 1 ? "" : "s");
}

enum class Align { left, right };

struct Column {
  std::string title;
  Align align = Align::left;
};

// Columns as wide as their widest cell, two spaces apart; the last column is not padded.
class TextTable {
 public:
  explicit TextTable(std::vector<Column> columns) : columns_(std::move(columns)) {}
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }

  std::string render() const {
    std::vector<std::size_t> width(columns_.size(), 0);
    for (std::size_t c = 0; c < columns_.size(); ++c) {
      width[c] = display_width(columns_[c].title);
      for (const auto& row : rows_) width[c] = std::max(width[c], display_width(row[c]));
    }
    std::vector<std::string> titles;
    for (const Column& c : columns_) titles.push_back(c.title);
    std::string out = line(titles, width);
    for (const auto& row : rows_) out += line(row, width);
    return out;
  }

 private:
  std::string line(const std::vector<std::string>& cells, const std::vector<std::size_t>& width) const {
    std::string out;
    for (std::size_t c = 0; c < cells.size(); ++c) {
      const std::string pad(width[c] - display_width(cells[c]), ' ');
      const bool last = c + 1 == cells.size();
      if (c > 0) out += "  ";
      out += columns_[c].align == Align::right ? pad + cells[c] : cells[c] + (last ? "" : pad);
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out + "\n";
  }

  std::vector<Column> columns_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace gs::cli
