#include "report/table_render.hpp"

#include <gtest/gtest.h>

namespace aistor {
namespace {

const Table kTable{
    "phases", {{"phase", "MB/s", "status"}, {"a|b", "1.5", "ok"}, {"x,\"y\""}}, 1, 1};

TEST(TableRender, MarkdownAlignsNumbersRightEscapesPipesAndPadsShortRows) {
  EXPECT_EQ(render(kTable, TableFormat::markdown),
            "| phase | MB/s | status |\n"
            "| --- | ---: | --- |\n"
            "| a\\|b | 1.5 | ok |\n"
            "| x,\"y\" |  |  |\n");
}

TEST(TableRender, CsvQuotesOnlyCellsThatNeedIt) {
  EXPECT_EQ(render(kTable, TableFormat::csv),
            "phase,MB/s,status\n"
            "a|b,1.5,ok\n"
            "\"x,\"\"y\"\"\"\n");
}

TEST(TableRender, SeveralTablesGetTitlesAndEmptyOnesAreLeftOut) {
  const std::vector<Table> tables{kTable, Table{"none", {{"h"}}, 1, 0},
                                  Table{"two", {{"k", "v"}, {"a", "1"}}, 1, 0}};
  EXPECT_EQ(render(tables, TableFormat::csv),
            "# phases\nphase,MB/s,status\na|b,1.5,ok\n\"x,\"\"y\"\"\"\n\n# two\nk,v\na,1\n");
  EXPECT_EQ(render(tables, TableFormat::markdown).find("### none"), std::string::npos);
  EXPECT_EQ(render(tables, TableFormat::text),
            "phase  MB/s  status\n"
            "-------------------\n"
            "a|b     1.5  ok\n"
            "x,\"y\"\n"
            "\n"
            "k  v\n"
            "----\n"
            "a  1\n");
}

}  // namespace
}  // namespace aistor
