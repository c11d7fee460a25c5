#include "config/cron.h"

#include <gtest/gtest.h>

namespace atl::config {
namespace {

// 2026-12-05 07:16:00 UTC, a Saturday.
constexpr int64_t kSat = 1796454960;

int64_t At(int64_t base, int days, int hours, int minutes) { return base + days * 86400 + hours * 3600 + minutes * 60; }

TEST(CronTest, EveryMinuteAndSteps) {
  auto every = ParseCron("* * * * *");
  ASSERT_TRUE(every.ok()) << every.status();
  EXPECT_TRUE(every->Matches(kSat));
  EXPECT_EQ(every->NextAfter(kSat), kSat + 60);
  EXPECT_EQ(every->NextAfter(kSat + 59), kSat + 60);

  auto five = ParseCron("*/5 * * * *");
  ASSERT_TRUE(five.ok());
  EXPECT_FALSE(five->Matches(kSat));  // :16
  EXPECT_TRUE(five->Matches(At(kSat, 0, 0, 4)));  // :20
  EXPECT_EQ(five->NextAfter(kSat), At(kSat, 0, 0, 4));
}

TEST(CronTest, ListsRangesNamesAndWeekdays) {
  auto cron = ParseCron("0,30 9-17/4 * JAN-dec mon-FRI");
  ASSERT_TRUE(cron.ok()) << cron.status();
  // Saturday: no; the next match is Monday 09:00.
  EXPECT_FALSE(cron->Matches(At(kSat, 0, 2, -16)));
  EXPECT_EQ(cron->NextAfter(kSat), At(kSat, 2, 2, -16));  // Mon 2026-12-07 09:00
  EXPECT_TRUE(cron->Matches(At(kSat, 2, 6, 14)));          // Mon 13:30
  EXPECT_FALSE(cron->Matches(At(kSat, 2, 7, -16)));         // Mon 14:00 (not in 9-17/4)

  auto sunday = ParseCron("0 0 * * 7");
  ASSERT_TRUE(sunday.ok());
  EXPECT_TRUE(sunday->Matches(At(kSat, 1, -7, -16)));  // Sun 2026-12-06 00:00
  auto sunday0 = ParseCron("0 0 * * SUN");
  ASSERT_TRUE(sunday0.ok());
  EXPECT_EQ(sunday0->weekdays, sunday->weekdays);
}

TEST(CronTest, DayOfMonthOrDayOfWeek) {
  // Vixie cron: both restricted -> either matches.
  auto cron = ParseCron("0 12 1 * SAT");
  ASSERT_TRUE(cron.ok());
  EXPECT_TRUE(cron->Matches(At(kSat, 0, 5, -16)));      // Sat 5 Dec 12:00
  EXPECT_TRUE(cron->Matches(At(kSat, 27, 5, -16)));     // Fri 1 Jan 2027 12:00
  EXPECT_FALSE(cron->Matches(At(kSat, 1, 5, -16)));     // Sun 6 Dec
  auto first = ParseCron("0 0 1 1 *");
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->NextAfter(kSat), At(kSat, 27, -7, -16));  // 2027-01-01 00:00
  auto never = ParseCron("0 0 31 2 *");
  ASSERT_TRUE(never.ok());
  EXPECT_EQ(never->NextAfter(kSat), -1);
}

TEST(CronTest, ErrorsNameTheField) {
  struct Case {
    const char* text;
    const char* message;
  } cases[] = {
      {"* * * *", "expected 5 fields"},
      {"60 * * * *", "minute: \"60\" is out of range (0-59)"},
      {"* 24 * * *", "hour: \"24\" is out of range"},
      {"* * 0 * *", "day of month: \"0\" is out of range (1-31)"},
      {"* * * 13 *", "month: \"13\" is out of range"},
      {"* * * FOO *", "month: \"FOO\" is not a number or a name"},
      {"*/0 * * * *", "minute: \"*/0\": the step must be a positive number"},
      {"5-1 * * * *", "the range goes backwards"},
      {"* * L * *", "Quartz extensions"},
      {"1,,2 * * * *", "an empty list item"},
  };
  for (const Case& c : cases) {
    auto cron = ParseCron(c.text);
    ASSERT_FALSE(cron.ok()) << c.text;
    EXPECT_NE(cron.status().message().find(c.message), std::string_view::npos) << cron.status();
  }
}

}  // namespace
}  // namespace atl::config
