// Hostile configs, by class: resource exhaustion at plan time, deep and huge documents, numbers
// that overflow, keys that would be accepted and mean nothing, and messages that must point at
// the key the file holds. Each is refused with one line naming where, quickly.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "core/config_node.hpp"
#include "core/error.hpp"
#include "tests/test_support.hpp"
#include "workloads/checkpoint/checkpoint_layout.hpp"
#include "workloads/runner/plan.hpp"

namespace aistor {
namespace {

std::string parse_error(const std::string& text) {
  try {
    (void)parse_json_with_comments(text, "c.json");
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

std::string config_error(const nlohmann::json& config) {
  try {
    (void)make_plan(config, std::nullopt);
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

nlohmann::json raw_phase() {
  return {{"workload", "raw"}, {"size", "1MiB"}};
}

TEST(HostileConfig, AHugeMatrixIsCountedAndRefusedBeforeAnyCellIsBuilt) {
  nlohmann::json values = nlohmann::json::array();
  for (int i = 0; i < 100; ++i)
    values.push_back(i + 1);
  auto p = raw_phase();
  p["matrix"] = {{"threads", values}, {"repeat", values}, {"seed", values}, {"ops", values}};
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(test::plan_error(p),
            "config: phases[0].matrix: more than 10000 cells (the lists' lengths multiply); split "
            "it into phases");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
  // At the limit it expands (and names every cell apart).
  nlohmann::json hundred = values;
  p["matrix"] = {{"seed", hundred}};
  EXPECT_EQ(test::plan_error(p), "(no error)");
}

TEST(HostileConfig, ALargePhaseTimesManyCellsIsBounded) {
  auto p = raw_phase();
  p["description_of_nothing"] = std::string(4000, 'x');  // refused later, but first expanded
  nlohmann::json values = nlohmann::json::array();
  for (int i = 0; i < 5000; ++i)
    values.push_back(i);
  p["matrix"] = {{"seed", values}};
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(test::plan_error(p).rfind("config: phases[0].matrix: 5000 cells of a ", 0), 0u)
      << test::plan_error(p);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
}

TEST(HostileConfig, PhasesInAllAreBounded) {
  nlohmann::json values = nlohmann::json::array();
  for (int i = 0; i < 10'000; ++i)
    values.push_back(i);
  auto p = raw_phase();
  p["matrix"] = {{"seed", values}};
  nlohmann::json phases = nlohmann::json::array({p, raw_phase()});
  phases[1]["name"] = "other";
  EXPECT_EQ(config_error({{"dir", "/var/tmp/x"}, {"phases", phases}}),
            "config: phases[1]: more than 10000 phases in all (matrices included); split the "
            "config");
}

TEST(HostileConfig, RankCountsAreTakenIn64Bits) {
  auto p = nlohmann::json{{"workload", "checkpoint"},
                          {"op", "save"},
                          {"size", "1GiB"},
                          {"parallel", {{"tp", 4096}, {"pp", 4096}, {"dp", 256}}}};
  EXPECT_EQ(test::plan_error(p),
            "config: phases[0].parallel.dp: tp x pp x dp = 4294967296 ranks: at most 1024 run on "
            "one machine");
}

// Every transformer shape within the keys' bounds: the count is exact, or refused — never wrapped.
TEST(HostileConfig, ParameterCountsAreExactOrRefused) {
  for (std::uint64_t layers : {1ULL, 80ULL, 4096ULL, 100000ULL}) {
    for (std::uint64_t hidden : {64ULL, 8192ULL, 1ULL << 24}) {
      for (std::uint64_t ffn : {256ULL, 1ULL << 26}) {
        for (std::uint64_t vocab : {32000ULL, 1ULL << 26}) {
          TransformerShape t;
          t.layers = layers;
          t.hidden = hidden;
          t.ffn = ffn;
          t.heads = 64;
          t.kv_heads = 8;
          t.vocab = vocab;
          __extension__ using U = unsigned __int128;
          const U head_dim = hidden / 64;
          const U exact = U{layers} * (U{2} * hidden * hidden + U{2} * hidden * (8 * head_dim) +
                                       U{3} * hidden * ffn + U{2} * hidden) +
                          U{vocab} * hidden * 2 + hidden;
          const auto counted = t.parameters();
          if (exact > UINT64_MAX) {
            EXPECT_FALSE(counted.has_value()) << layers << " " << hidden << " " << ffn;
          } else {
            ASSERT_TRUE(counted.has_value());
            EXPECT_EQ(*counted, static_cast<std::uint64_t>(exact));
          }
        }
      }
    }
  }
  auto p = nlohmann::json{
      {"workload", "checkpoint"},
      {"op", "save"},
      {"model",
       {{"layers", 4096}, {"hidden", 1 << 24}, {"ffn", 1 << 26}, {"heads", 64}, {"vocab", 32000}}}};
  EXPECT_EQ(test::plan_error(p),
            "config: phases[0].model.layers: this shape has more parameters than 64 bits count");
}

TEST(HostileConfig, NestingUpToTheLimitParsesAndOnePastItIsRefused) {
  for (std::size_t depth = 1; depth <= kMaxConfigDepth; ++depth) {
    const std::string text = std::string(depth, '[') + std::string(depth, ']');
    ASSERT_EQ(parse_error(text), "(no error)") << depth;
  }
  const std::size_t past = kMaxConfigDepth + 1;
  EXPECT_EQ(parse_error(std::string(past, '[') + std::string(past, ']')).rfind("c.json: ", 0), 0u);
  EXPECT_NE(parse_error(std::string(past, '[') + std::string(past, ']'))
                .find("nested more than 128 levels deep"),
            std::string::npos);
  // 100,000 levels (which once overflowed the stack) are refused the same way, at once.
  const std::string deep = "{\"a\":" + std::string(100'000, '[');
  const std::string error = parse_error(deep);
  EXPECT_EQ(error.rfind("c.json: a[0][0][0]", 0), 0u) << error;
  EXPECT_TRUE(error.ends_with("[0]: nested more than 128 levels deep")) << error;
}

TEST(HostileConfig, AConfigThatNeverEndsIsRefusedNotRead) {
  const auto t0 = std::chrono::steady_clock::now();
  try {
    (void)read_config_file("/dev/zero");
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()),
              "/dev/zero: a config of more than 67108864 bytes is not a config");
  }
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
  EXPECT_EQ(parse_error(std::string(kMaxConfigBytes + 1, ' ')),
            "c.json: a config of more than 67108864 bytes is not a config");
}

TEST(HostileConfig, AKeyGivenTwiceIsRefusedNamingItsPath) {
  EXPECT_EQ(parse_error(R"({"phases": [{"workload": "raw"}, {"size": 1, "size": 2}]})"),
            "c.json: phases[1].size: key given twice (JSON keeps only one)");
  EXPECT_EQ(parse_error(R"({"dir": "a", "dir": "b"})"),
            "c.json: dir: key given twice (JSON keeps only one)");
  // The same key in two objects is no repeat.
  EXPECT_EQ(parse_error(R"({"a": {"size": 1}, "b": {"size": 2}, "size": 3})"), "(no error)");
}

TEST(HostileConfig, ANumberTooLargeForADoubleNamesLineAndColumn) {
  EXPECT_EQ(parse_error("{\n  \"phases\": [{\"size\": 1e400}]\n}"),
            "c.json:2:23: invalid JSON: the number 1e400 is too large");
}

TEST(HostileConfig, NullIsNoDefault) {
  auto p = raw_phase();
  p["threads"] = nullptr;
  EXPECT_EQ(test::plan_error(p),
            "config: phases[0].threads: is null: give a value, or leave the key out for its "
            "default");
}

TEST(HostileConfig, OutOfRangeDurationsAreRefusedAtTheirKey) {
  auto p = raw_phase();
  p["runtime"] = 1e300;
  EXPECT_EQ(test::plan_error(p),
            "config: phases[0].runtime: 1e+300 s is too long (at most 1.8e10 s)");
  p["runtime"] = "1e300s";
  EXPECT_NE(test::plan_error(p).find("config: phases[0].runtime: \"1e300s\" is not a duration"),
            std::string::npos);
}

TEST(HostileConfig, ParamsIsNotAConfigKey) {
  auto p = raw_phase();
  p["params"] = {{"anything", 1}};
  EXPECT_EQ(test::plan_error(p),
            "config: phases[0].params: unknown key (a matrix cell's parameters are set by its "
            "matrix)");
  p.erase("params");
  p["matrix"] = {{"params", {1, 2}}};
  EXPECT_EQ(test::plan_error(p), "config: phases[0].matrix.params: cannot be varied");
}

TEST(HostileConfig, TwoPhasesOfOneNameAreRefused) {
  auto a = raw_phase();
  a["name"] = "same";
  EXPECT_EQ(config_error({{"phases", {a, a}}}),
            "config: phases[1].name: \"same\" is also the name of phases[0]; give each phase a "
            "name of its own");
  // Matrix cells are named apart.
  a["matrix"] = {{"threads", {1, 2}}};
  EXPECT_EQ(config_error({{"phases", {a}}}), "(no error)");
  // Phases without a name (named after their workload) are numbered.
  const auto plan = make_plan({{"phases", {raw_phase(), raw_phase(), raw_phase()}}}, std::nullopt);
  EXPECT_EQ(plan.phases[0].name, "raw");
  EXPECT_EQ(plan.phases[1].name, "raw-2");
  EXPECT_EQ(plan.phases[2].name, "raw-3");
  auto named = raw_phase();
  named["name"] = "raw";
  EXPECT_EQ(config_error({{"phases", {raw_phase(), named}}}),
            "config: phases[1].name: \"raw\" is also the name of phases[0]; give each phase a "
            "name of its own");
}

TEST(HostileConfig, ASearchRangeTheWorkloadRefusesNamesTheSearch) {
  nlohmann::json p{{"workload", "samples"},
                   {"dataset", {{"samples", 64}, {"files", 1}, {"sizes", {{"mean", 4096}}}}},
                   {"search", {{"param", "accelerators"}, {"to", 100000}}}};
  EXPECT_EQ(test::plan_error(p),
            "config: phases[0].search.to: accelerators = 100000 is refused: must be at most 4096, "
            "got 100000");
}

TEST(HostileConfig, VerifyOverADatasetAistorDidNotMakeIsRefusedByValidate) {
  test::ScratchDir d;
  const auto file = test::write_pattern_file(d.path() / "data.tfrecord", 64);
  nlohmann::json p{{"workload", "samples"}, {"path", file.string()}, {"verify", true}};
  EXPECT_EQ(test::plan_error(p),
            "config: phases[0].verify: " + file.string() +
                " is not an aistor dataset (no aistor-dataset.json): its samples carry no id and "
                "checksum to verify");
}

}  // namespace
}  // namespace aistor
