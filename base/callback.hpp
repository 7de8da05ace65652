// A move-only callable with fixed inline storage and no heap allocation.
//
// The event loop stores one per pending event; std::function may allocate for
// captures over 16 bytes, which would put an allocation on every event
// (DESIGN.md "Performance shape"). A capture too large for the buffer is a
// compile error, so the cost is always visible at the call site.
#pragma once

#include <cstddef>
#include <cstring>
#include <new>
#include <type_traits>
#include <utility>

namespace gs {

// 40 bytes of capture keeps sizeof(Callback) at 48, so a scheduler slot (callback +
// sequence number + free-list link) fills exactly one 64-byte cache line.
template <typename Signature, std::size_t Capacity = 40>
class InplaceFunction;

template <typename R, typename... Args, std::size_t Capacity>
class InplaceFunction<R(Args...), Capacity> {
 public:
  InplaceFunction() = default;
  InplaceFunction(std::nullptr_t) {}

  template <typename F, typename D = std::decay_t<F>,
            typename = std::enable_if_t<!std::is_same_v<D, InplaceFunction> && std::is_invocable_r_v<R, D&, Args...>>>
  InplaceFunction(F&& f) {  // NOLINT(google-explicit-constructor): used like std::function
    static_assert(sizeof(D) <= Capacity, "capture too large for InplaceFunction: capture less or raise Capacity");
    static_assert(alignof(D) <= alignof(void*), "over-aligned capture");
    static_assert(std::is_nothrow_move_constructible_v<D>, "capture must be nothrow-movable");
    ::new (static_cast<void*>(storage_)) D(std::forward<F>(f));
    ops_ = &kOps<D>;
  }

  // Invokes in place; the callable stays stored (used by the scheduler, whose slots
  // have stable addresses).
  R call_in_place(Args... args) { return ops_->call(storage_, std::forward<Args>(args)...); }

  InplaceFunction(InplaceFunction&& o) noexcept { take(std::move(o)); }
  InplaceFunction& operator=(InplaceFunction&& o) noexcept {
    if (this != &o) {
      reset();
      take(std::move(o));
    }
    return *this;
  }
  InplaceFunction(const InplaceFunction&) = delete;
  InplaceFunction& operator=(const InplaceFunction&) = delete;
  ~InplaceFunction() { reset(); }

  explicit operator bool() const { return ops_ != nullptr; }

  R operator()(Args... args) { return ops_->call(storage_, std::forward<Args>(args)...); }

  void reset() {
    if (ops_ != nullptr) {
      if (ops_->destroy != nullptr) ops_->destroy(storage_);
      ops_ = nullptr;
    }
  }

 private:
  // move and destroy are null for trivially copyable captures (pointers, ints — the
  // common case): moving is then a memcpy and destroying is nothing, with no indirect call.
  struct Ops {
    R (*call)(void*, Args&&...);
    void (*move)(void* dst, void* src);  // move-constructs into dst and destroys src
    void (*destroy)(void*);
    std::size_t size;  // bytes to copy when move is null
  };

  template <typename D>
  static constexpr bool kTrivial = std::is_trivially_copyable_v<D> && std::is_trivially_destructible_v<D>;

  template <typename D>
  static constexpr Ops kOps{
      [](void* p, Args&&... a) -> R { return (*static_cast<D*>(p))(std::forward<Args>(a)...); },
      kTrivial<D> ? nullptr
                  : +[](void* dst, void* src) {
                      ::new (dst) D(std::move(*static_cast<D*>(src)));
                      static_cast<D*>(src)->~D();
                    },
      kTrivial<D> ? nullptr : +[](void* p) { static_cast<D*>(p)->~D(); },
      std::is_empty_v<D> ? 0 : sizeof(D),  // an empty lambda has no byte worth copying
  };

  void take(InplaceFunction&& o) noexcept {
    if (o.ops_ != nullptr) {
      if (o.ops_->move != nullptr)
        o.ops_->move(storage_, o.storage_);
      else
        if (o.ops_->size != 0) std::memcpy(storage_, o.storage_, o.ops_->size);
      ops_ = o.ops_;
      o.ops_ = nullptr;
    }
  }

  alignas(void*) unsigned char storage_[Capacity];
  const Ops* ops_ = nullptr;
};

using Callback = InplaceFunction<void()>;

}  // namespace gs
