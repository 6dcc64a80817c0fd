// Inputs the fuzzers found (tests/fuzz/corpus/*/regression-*), each of which once escaped as an
// exception that was not the reader's InputError, and the UTF-8 repair they led to: every reader
// now refuses them in one line, or reads them and reports them as valid JSON.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "core/config_node.hpp"
#include "core/error.hpp"
#include "core/utf8.hpp"
#include "tests/test_support.hpp"
#include "workloads/formats/model_file.hpp"
#include "workloads/runner/plan.hpp"

namespace aistor {
namespace {

const std::filesystem::path kCorpus =
    std::filesystem::path(AISTOR_SOURCE_DIR) / "tests/fuzz/corpus";

std::filesystem::path only_regression(const std::string& target, const std::string& id = "") {
  for (const auto& e : std::filesystem::directory_iterator(kCorpus / target)) {
    if (e.path().filename().string().starts_with("regression-" + id)) return e.path();
  }
  ADD_FAILURE() << "no regression input for " << target;
  return {};
}

TEST(HostileInput, ANumberTooLargeForJsonIsAConfigError) {
  EXPECT_EQ(
      [] {
        try {
          (void)parse_json_with_comments(R"({"phases": [{"size": 111111e1111111111}]})", "c.json");
        } catch (const InputError& e) {
          return std::string(e.what());
        }
        return std::string("(no error)");
      }(),
      "c.json:1:22: invalid JSON: the number 111111e1111111111 is too large");
  const std::string found = test::read_file(only_regression("config", "be1bf73c"));
  EXPECT_THROW((void)parse_json_with_comments(found, "found.json"), InputError);
}

// A matrix phase whose "name" is an object once escaped as nlohmann's type_error.
TEST(HostileInput, AMatrixPhaseWhoseNameIsNotAStringIsAConfigError) {
  EXPECT_EQ(test::plan_error({{"name", {{"a", 1}}},
                              {"workload", "raw"},
                              {"size", "1MiB"},
                              {"matrix", {{"block_size", {"4KiB", "8KiB"}}}}}),
            "config: phases[0].name: must be a string, got object");
  const auto config = parse_json_with_comments(
      test::read_file(only_regression("config", "8be3fedb")), "found.json");
  EXPECT_THROW((void)make_plan(config, std::filesystem::path("/nonexistent")), InputError);
}

TEST(HostileInput, ASafetensorsHeaderWithAnOverflowingNumberIsRefused) {
  const auto p = only_regression("safetensors");
  try {
    (void)formats::parse_safetensors(p);
    ADD_FAILURE() << "parsed";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()),
              p.string() +
                  ": offset 8: header is not usable JSON ([json.exception.out_of_range.406] number "
                  "overflow parsing '66666666666666666666666666666666e00016000')");
  }
}

// Its general.alignment is a string of bytes that are not UTF-8: quoting it in the error once
// threw nlohmann's type_error instead.
TEST(HostileInput, GgufStringsThatAreNotUtf8AreShownWithReplacementCharacters) {
  const auto p = only_regression("gguf");
  try {
    (void)formats::parse_gguf(p);
    ADD_FAILURE() << "parsed";
  } catch (const InputError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("general.alignment \"\xef\xbf\xbd"), std::string::npos) << what;
    EXPECT_NE(what.find("is not a power of two"), std::string::npos) << what;
  }
}

TEST(Utf8, InvalidSequencesAreReplacedAndValidOnesKept) {
  EXPECT_TRUE(valid_utf8("plain ascii"));
  EXPECT_TRUE(valid_utf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
  EXPECT_FALSE(valid_utf8("\x9d"));              // a lone continuation byte
  EXPECT_FALSE(valid_utf8("\xc0\xaf"));          // overlong
  EXPECT_FALSE(valid_utf8("\xed\xa0\x80"));      // a surrogate
  EXPECT_FALSE(valid_utf8("\xf4\x90\x80\x80"));  // past U+10FFFF
  EXPECT_FALSE(valid_utf8("\xe2\x82"));          // cut short
  EXPECT_EQ(printable_utf8("a\x9d"
                           "b"),
            "a\xef\xbf\xbd"
            "b");
  EXPECT_EQ(printable_utf8("caf\xc3\xa9"), "caf\xc3\xa9");
  EXPECT_EQ(printable_utf8("\xe2\x82"), "\xef\xbf\xbd\xef\xbf\xbd");
}

}  // namespace
}  // namespace aistor
