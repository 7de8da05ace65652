// Peers running the comm layer on a FakeNetwork, for comm_*_test.cpp. Identities follow
// Fabric's unit-test convention (spec §0.2): identity = PKI-ID = endpoint.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "fake_network.hpp"
#include "protocol/comm.hpp"
#include "protocol/crypto.hpp"
#include "protocol/identity_mapper.hpp"
#include "protocol/message.hpp"

namespace gs::proto::test {

struct CommTestReceived {
  Time at;
  EnvelopePtr envelope;
  PkiId from;
  ConnId conn;
};

// One peer process: crypto, identity mapper, comm. restart() replaces the process.
class CommTestPeer {
 public:
  CommTestPeer(FakeNetwork& net, Pki& pki, const Endpoint& ep, CommConfig config)
      : net_(net), pki_(pki), ep_(ep), config_(config), env_(net.add_peer(ep)) {
    if (pki.by_name(ep) == nullptr) pki.enroll(ep, "Org1", ep);
    start();
  }

  void start() {
    mcs_ = std::make_unique<MessageCryptoService>(env_, pki_, pki_.by_name(ep_)->pki_id);
    ids_ = std::make_unique<IdentityMapper>(env_, *mcs_, pki_, pki_.by_name(ep_)->identity);
    comm_ = std::make_unique<Comm>(env_, *ids_, config_);
    comm_->accept(nullptr, [this](const ReceivedMessage& m) {
      received.push_back(CommTestReceived{env_.now(), m.envelope(), m.sender(), m.conn()});
    });
    comm_->on_presumed_dead([this](const PkiId& p) { presumed_dead.push_back(p); });
  }
  // Graceful stop (comm.Stop(): connections closed) followed by the process exiting.
  void stop() {
    comm_->stop();
    net_.crash(ep_);
  }
  // Process crash: nothing is closed; remotes learn by failed writes.
  void crash() { net_.crash(ep_); }
  // A new process on the same endpoint.
  void restart() {
    comm_.reset();
    ids_.reset();
    mcs_.reset();
    received.clear();
    presumed_dead.clear();
    net_.restart(ep_);
    start();
  }

  Comm& comm() { return *comm_; }
  IdentityMapper& identities() { return *ids_; }
  FakeNetEnv& env() { return env_; }
  const Endpoint& endpoint() const { return ep_; }
  PkiId pki_id() const { return pki_.by_name(ep_)->pki_id; }
  RemotePeer remote() const { return RemotePeer{ep_, pki_id()}; }

  std::vector<CommTestReceived> received;
  std::vector<PkiId> presumed_dead;

 private:
  FakeNetwork& net_;
  Pki& pki_;
  Endpoint ep_;
  CommConfig config_;
  FakeNetEnv& env_;
  std::unique_ptr<MessageCryptoService> mcs_;
  std::unique_ptr<IdentityMapper> ids_;
  std::unique_ptr<Comm> comm_;
};

// spec §11.10: Fabric's comm tests override the dial timeout to 300 ms.
inline CommConfig comm_test_config() {
  CommConfig c;
  c.dial_timeout = Duration::milliseconds(300);
  return c;
}

// A block message with sequence number `seq` (no-op signed, as blocks are).
inline EnvelopePtr comm_test_block(std::uint64_t seq) {
  GossipMessage m;
  m.tag = Tag::CHAN_AND_ORG;
  m.channel = "ch1";
  m.content = DataMessage{Payload{seq, nullptr}};
  return Envelope::make_unsigned(std::move(m));
}

inline std::uint64_t comm_test_seq(const EnvelopePtr& e) { return e->get_if<DataMessage>()->payload.seq_num; }

}  // namespace gs::proto::test
