// The gossip emitter over shared envelopes, instantiated once for the whole program.
#include "protocol/emitter.hpp"

namespace gs::proto {

template class BatchingEmitter<EnvelopePtr>;

}  // namespace gs::proto
