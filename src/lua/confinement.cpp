#include "confinement.hpp"

#include "protocol.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <vector>

namespace rlm::lua {

namespace {

#if defined(__x86_64__)
constexpr std::uint32_t k_audit_arch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
constexpr std::uint32_t k_audit_arch = AUDIT_ARCH_AARCH64;
#else
#error "rlm's seccomp filter knows x86_64 and aarch64; add this architecture to confinement.cpp"
#endif

// A small builder for classic BPF: each rule is "if nr == X [and arg check] then allow".
class Filter {
public:
  void load_nr() { emit(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr))); }
  void load_arg_low(int arg) {
    emit(BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                  static_cast<std::uint32_t>(offsetof(seccomp_data, args) +
                                             8 * static_cast<std::size_t>(arg))));
  }
  void allow() { emit(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)); }
  void kill() { emit(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS)); }

  // if nr == `nr`: allow
  void allow_syscall(long nr) {
    emit(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<std::uint32_t>(nr), 0, 1));
    allow();
  }
  // if nr == `nr`: allow when the low word of `arg` is one of `values`, else kill
  void allow_syscall_if_arg(long nr, int arg, std::initializer_list<std::uint32_t> values) {
    emit(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<std::uint32_t>(nr), 0,
                  static_cast<std::uint8_t>(2 + 2 * values.size() + 1)));
    load_arg_low(arg);
    for (const auto value : values) {
      emit(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, value, 0, 1));
      allow();
    }
    kill();
    load_nr(); // not reached; keeps the jump arithmetic uniform
  }
  // if nr == `nr`: allow when the low word of `arg` has none of `bits`, else kill
  void allow_syscall_without_bits(long nr, int arg, std::uint32_t bits) {
    emit(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<std::uint32_t>(nr), 0, 5));
    load_arg_low(arg);
    emit(BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, bits, 0, 1));
    kill();
    allow();
    load_nr(); // not reached
  }

  std::vector<sock_filter>& program() { return m_program; }

private:
  void emit(sock_filter instruction) { m_program.push_back(instruction); }
  std::vector<sock_filter> m_program;
};

std::vector<sock_filter> build_filter() {
  Filter f;
  f.program().push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)));
  f.program().push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, k_audit_arch, 1, 0));
  f.kill();
  f.load_nr();
  const auto socket = static_cast<std::uint32_t>(protocol::k_socket_fd);
  f.allow_syscall_if_arg(SYS_read, 0, {socket});
  f.allow_syscall_if_arg(SYS_write, 0, {socket, 2});
  f.allow_syscall_if_arg(SYS_sendto, 0, {socket});
  f.allow_syscall_without_bits(SYS_mmap, 2, PROT_EXEC);
  f.allow_syscall_without_bits(SYS_mprotect, 2, PROT_EXEC);
  for (const long nr :
       {SYS_munmap, SYS_mremap, SYS_brk, SYS_madvise, SYS_futex, SYS_exit, SYS_exit_group,
        SYS_rt_sigreturn, SYS_clock_gettime, SYS_gettimeofday, SYS_sched_yield, SYS_rt_sigprocmask,
        SYS_getpid, SYS_gettid, SYS_setitimer}) {
    f.allow_syscall(nr);
  }
  f.kill();
  return std::move(f.program());
}

} // namespace

std::string confine_worker(std::uint64_t address_space_bytes, bool syscall_filter) {
  const auto limit = [](int resource, rlim_t value) {
    const rlimit l{value, value};
    return ::setrlimit(resource, &l) == 0;
  };
  // No files written, no core dumps, no new processes. No new descriptors either, but
  // only with the filter: sanitizer runtimes probe memory through pipes of their own.
  if (!limit(RLIMIT_FSIZE, 0) || !limit(RLIMIT_CORE, 0) || !limit(RLIMIT_NPROC, 0) ||
      (syscall_filter &&
       !limit(RLIMIT_NOFILE, static_cast<rlim_t>(protocol::k_documents_fd + 1)))) {
    return fmt::format("setrlimit: {}", std::strerror(errno));
  }
  if (address_space_bytes > 0 && !limit(RLIMIT_AS, address_space_bytes)) {
    return fmt::format("setrlimit(RLIMIT_AS): {}", std::strerror(errno));
  }
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    return fmt::format("no_new_privs: {}", std::strerror(errno));
  if (!syscall_filter) return {};
  auto program = build_filter();
  sock_fprog fprog{static_cast<unsigned short>(program.size()), program.data()};
  if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) != 0) {
    return fmt::format("seccomp: {}", std::strerror(errno));
  }
  return {};
}

} // namespace rlm::lua
