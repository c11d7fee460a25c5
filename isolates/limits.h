#pragma once
// The limits of base/limits.h under their isolates:: names, which the code above isolates/ uses.

#include "base/limits.h"

namespace atl::isolates {

using namespace ::atl::limits;  // NOLINT: every name of base/limits.h, so isolates::X keeps working

}  // namespace atl::isolates
