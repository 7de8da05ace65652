// A sweep directory or its inputs are not usable: a different sweep.json, missing runs, a
// report.json that is unreadable or was made with another configuration. `gossipsim` exits
// with code 2 (bad input), like a scenario error.
#pragma once

#include <stdexcept>
#include <string>

namespace gs::sweep {

class SweepError : public std::runtime_error {
 public:
  explicit SweepError(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace gs::sweep
