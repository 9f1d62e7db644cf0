#include "common/listen_address.h"

#include <catch2/catch.hpp>

using hourglass::common::ParseListenAddress;

TEST_CASE("listen addresses parse IPv4, IPv6 and port 0") {
  auto v4 = ParseListenAddress("0.0.0.0:8125");
  REQUIRE(v4.ok());
  CHECK(v4->host == "0.0.0.0");
  CHECK(v4->port == 8125);
  auto v6 = ParseListenAddress("[::1]:0");
  REQUIRE(v6.ok());
  CHECK(v6->host == "::1");
  CHECK(v6->port == 0);
}

TEST_CASE("bad listen addresses are refused with a reason") {
  CHECK_FALSE(ParseListenAddress("8125").ok());
  CHECK_FALSE(ParseListenAddress("localhost:8125").ok());
  CHECK_FALSE(ParseListenAddress("::1:8125").ok());
  CHECK_FALSE(ParseListenAddress("1.2.3.4:65536").ok());
  CHECK_FALSE(ParseListenAddress("1.2.3.4:").ok());
  CHECK_FALSE(ParseListenAddress("[::1]8125").ok());
}
