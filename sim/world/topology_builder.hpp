// Builds the scenario's Boost.Graph topology (generator or GraphML/DOT file) and attaches
// the peers' hosts to its vertices, round-robin in peer order.
#pragma once

#include "sim/core/random.hpp"
#include "sim/net/network.hpp"
#include "sim/scenario/scenario.hpp"

namespace gs::world {

// Throws net::TopologyError (naming the file and what is wrong) for a bad file.
void attach_topology(net::Network& network, const scenario::TopologySpec& spec, const sim::RandomStreams& streams,
                     const scenario::Scenario& s);

}  // namespace gs::world
