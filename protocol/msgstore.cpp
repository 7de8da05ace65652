// The message store over shared envelopes, instantiated once for the whole program.
#include "protocol/msgstore.hpp"

namespace gs::proto {

template class MessageStore<EnvelopePtr>;

}  // namespace gs::proto
