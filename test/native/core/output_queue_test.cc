// Unit tests for native/output_queue.cc: request order kept whatever order responses come in, the
// vectored write over a real socket pair, and buffers released once sent.
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "check.h"
#include "socket_drain.h"
#include "core/output_queue.h"

using uvhttp::ConnectionHeader;
using uvhttp::OutputQueue;

namespace {

using check::drain;

auto text(const char *s) {
  return [s](std::string &out) { out.append(s); };
}

auto owed_text(const char *s) {
  return [s](std::string &out, const OutputQueue::Slot &) { out.append(s); };
}

void ordering(int a, int b) {
  OutputQueue q;
  size_t sent = 0;
  q.add_ready(0, text("zero;"));                         // nothing owed before it: ready at once
  q.reserve(1, false, ConnectionHeader::None, 100);       // JS owes 1
  q.add_ready(2, text("two;"));                           // waits behind 1
  q.reserve(3, true, ConnectionHeader::Close, 200);       // JS owes 3
  check::that(q.owes_js() && q.owed() == 3, "three slots: 1, 2 (ready) and 3");
  check::that(q.oldest_owed().seq == 1 && q.oldest_owed().started == 100, "the oldest owed is 1");
  check::that(q.unsent() == 9, "zero; and two; are unsent");
  check::that(!q.fulfil(2, owed_text("x")), "a ready slot is not owed");
  check::that(!q.fulfil(4, owed_text("x")) && !q.fulfil(0, owed_text("x")), "unknown sequence numbers are not owed");

  check::that(q.fulfil(3, [](std::string &out, const OutputQueue::Slot &s) {
    out.append(s.omit_body && s.conn == ConnectionHeader::Close ? "three(head,close);" : "three(?);");
  }), "3 answered early keeps its flags");
  check::that(q.write(a, &sent) == OutputQueue::WriteResult::Drained && drain(b) == "zero;", "only zero; may go yet");
  check::that(q.fulfil(1, owed_text("one;")), "1 answered");
  check::that(!q.owes_js(), "nothing owed any more");
  check::that(q.write(a, &sent) == OutputQueue::WriteResult::Drained && sent == std::string("one;two;three(head,close);").size(), "the rest in one write");
  check::that(drain(b) == "one;two;three(head,close);", "in request order");
  check::that(q.idle(), "idle at the end");

  // Sequence numbers wrap around 2^32 without losing order.
  OutputQueue w;
  w.reserve(0xffffffffu, false, ConnectionHeader::None, 0);
  w.reserve(0, false, ConnectionHeader::None, 0);
  check::that(w.fulfil(0, owed_text("b")) && w.owes_js() && w.oldest_owed().seq == 0xffffffffu, "wrap: 0 waits");
  check::that(w.fulfil(0xffffffffu, owed_text("a")) && !w.owes_js(), "wrap: then both are ready");
  w.write(a, &sent);
  check::that(drain(b) == "ab", "wrap: in order");

  // close_owed: an owed response learns to say close; drop_owed forgets and counts them.
  OutputQueue c;
  c.reserve(0, false, ConnectionHeader::None, 0);
  c.close_owed();
  c.fulfil(0, [](std::string &out, const OutputQueue::Slot &s) { out.append(s.conn == ConnectionHeader::Close ? "close" : "?"); });
  c.write(a, &sent);
  check::that(drain(b) == "close", "close_owed");
  c.reserve(1, false, ConnectionHeader::None, 0);
  c.add_ready(2, text("late"));
  c.reserve(3, false, ConnectionHeader::None, 0);
  check::that(c.drop_owed() == 2 && c.idle() && c.unsent() == 0, "drop_owed counts what JS owed and empties");
}

void backpressure_and_release(int a, int b) {
  OutputQueue q;
  size_t sent = 0;
  const std::string big(4 * 1024 * 1024, 'x');
  q.add_ready(0, [&](std::string &out) { out.append(big); });
  check::that(q.capacity() >= big.size(), "holds the large response");
  // The socket buffer is far smaller than 4 MiB: the write stops, keeping only unsent bytes.
  check::that(q.write(a, &sent) == OutputQueue::WriteResult::Blocked, "a full socket blocks");
  check::that(sent > 0 && sent < big.size() && q.unsent() == big.size() - sent, "unsent counts what is left");
  size_t total = sent;
  std::string got = drain(b);
  while (q.has_ready_bytes()) {
    q.write(a, &sent);
    total += sent;
    got += drain(b);
  }
  got += drain(b);
  check::that(total == big.size() && got == big, "every byte arrives once");
  check::that(q.idle() && q.capacity() <= OutputQueue::kKeepCapacity, "the large buffer is released once sent");

  // Many small responses: the buffer is reused, not released.
  for (uint32_t i = 1; i < 100; ++i) q.add_ready(i, text("small;"));
  q.write(a, &sent);
  drain(b);
  check::that(q.idle() && q.capacity() > 0 && q.capacity() <= OutputQueue::kKeepCapacity, "a small buffer is kept");

  // A peer that has gone: the write fails instead of raising SIGPIPE.
  close(b);
  q.add_ready(200, text("to nobody"));
  OutputQueue::WriteResult r = q.write(a, &sent);
  check::that(r == OutputQueue::WriteResult::Failed, "writing to a closed peer fails");
}

// File ranges: sent in request order with the bytes around them, the file kept open until sent.
void file_segments(int a, int b) {
  char tmpl[] = "/tmp/uvhttp-oq-XXXXXX";
  const int fd = mkstemp(tmpl);
  unlink(tmpl);
  std::string content(3 * 1024 * 1024, '\0');
  for (size_t i = 0; i < content.size(); ++i) content[i] = static_cast<char>('A' + i % 23);
  check::that(write(fd, content.data(), content.size()) == static_cast<long>(content.size()), "fixture written");
  uint64_t live = 0;
  auto file = std::make_shared<uvhttp::OpenFile>(fd, &live);
  size_t sent = 0;

  OutputQueue q;
  q.add_ready_parts(0, [&](OutputQueue::Writer &w) {
    w.bytes().append("head0;");
    w.file(uvhttp::FileRange{file, 5, 10});
    w.bytes().append(";tail0;");
  });
  q.reserve(1, false, ConnectionHeader::None, 0);
  q.add_ready_parts(2, [&](OutputQueue::Writer &w) {
    w.bytes().append("head2;");
    w.file(uvhttp::FileRange{file, 100, 4});
  });
  check::that(q.unsent() == 6 + 10 + 7 + 6 + 4, "file bytes count as unsent");
  check::that(q.write(a, &sent) == OutputQueue::WriteResult::Drained, "the first response goes");
  check::that(drain(b) == "head0;" + content.substr(5, 10) + ";tail0;", "bytes, file range, bytes in order");
  check::that(q.fulfil(1, owed_text("one;")), "JS answers 1");
  check::that(q.write(a, &sent) == OutputQueue::WriteResult::Drained, "the rest goes");
  check::that(drain(b) == "one;head2;" + content.substr(100, 4), "a file response that waited follows in order");
  check::that(q.idle(), "idle after");

  // A large range is sent in budgeted rounds; a slow reader gets every byte, and the descriptor is
  // released only when the last byte went.
  q.add_ready_parts(3, [&](OutputQueue::Writer &w) {
    w.bytes().append("big;");
    w.file(uvhttp::FileRange{file, 0, content.size()});
  });
  file.reset();
  check::that(live == 1, "the queue keeps the file open");
  std::string got;
  int rounds = 0;
  for (; rounds < 10000 && !q.idle(); ++rounds) {
    const OutputQueue::WriteResult r = q.write(a, &sent);
    check::that(sent <= OutputQueue::kWriteBudget, "one write stays within its budget");
    if (r == OutputQueue::WriteResult::Failed) break;
    got += drain(b);
  }
  got += drain(b);
  check::that(got == "big;" + content, "the whole file arrives intact");
  check::that(live == 0, "the descriptor is closed once sent");
  check::that(q.capacity() <= OutputQueue::kKeepCapacity, "nothing large is kept");

  // A file that shrank under its promised length fails the connection instead of spinning.
  char tmpl2[] = "/tmp/uvhttp-oq-XXXXXX";
  const int small = mkstemp(tmpl2);
  unlink(tmpl2);
  check::that(write(small, "abc", 3) == 3, "small fixture");
  auto shrunk = std::make_shared<uvhttp::OpenFile>(small, &live);
  OutputQueue s;
  s.add_ready_parts(0, [&](OutputQueue::Writer &w) { w.file(uvhttp::FileRange{shrunk, 0, 10}); });
  OutputQueue::WriteResult r = OutputQueue::WriteResult::Drained;
  for (int i = 0; i < 3 && r != OutputQueue::WriteResult::Failed; ++i) r = s.write(a, &sent);
  check::that(r == OutputQueue::WriteResult::Failed, "a short file fails the write");
  drain(b);
}

void streamed(int a, int b) {
  using Part = OutputQueue::Part;
  OutputQueue q;
  size_t sent = 0;
  q.reserve(0, false, ConnectionHeader::None, 10);
  q.reserve(1, false, ConnectionHeader::None, 20);
  q.add_ready(2, text("static;"));
  q.reserve(3, false, ConnectionHeader::None, 30);

  check::that(!q.fulfil(0, Part::More, owed_text("x")) && !q.fulfil(0, Part::Last, owed_text("x")),
              "More and Last need a Start");
  // 1 streams while 0 is still owed: its parts wait in its slot.
  check::that(q.fulfil(1, Part::Start, owed_text("h1;")) && q.fulfil(1, Part::More, owed_text("b1;")),
              "1 starts and goes on behind 0");
  check::that(!q.fulfil(1, Part::Start, owed_text("x")) && !q.fulfil(1, Part::Whole, owed_text("x")),
              "a started stream takes no second head");
  check::that(q.write(a, &sent) == OutputQueue::WriteResult::Drained && sent == 0, "nothing may go before 0");
  check::that(q.fulfil(0, Part::Start, owed_text("h0;")), "0 starts");
  check::that(q.oldest_owed().seq == 0 && q.oldest_owed().streaming, "the oldest owed is streaming");
  q.write(a, &sent);
  check::that(drain(b) == "h0;", "0's head goes at once; 1 waits");
  check::that(q.fulfil(0, Part::More, owed_text("b0;")), "0 goes on");
  q.write(a, &sent);
  check::that(drain(b) == "b0;", "0's chunk goes at once");
  check::that(q.fulfil(0, Part::Last, owed_text("e0;")), "0 ends");
  q.write(a, &sent);
  check::that(drain(b) == "e0;h1;b1;", "0 ended: 1's waiting parts follow, 2 waits for 1's end");
  check::that(q.oldest_owed().seq == 1 && q.oldest_owed().streaming, "1 is the oldest now");
  check::that(q.fulfil(1, Part::Last, owed_text("e1;")), "1 ends");
  q.write(a, &sent);
  check::that(drain(b) == "e1;static;", "then the static response");
  check::that(q.fulfil(3, Part::Whole, owed_text("three;")) && q.idle() == false, "3 whole");
  q.write(a, &sent);
  check::that(drain(b) == "three;" && q.idle(), "all sent");

  // drop_after: the responses after a connection's last one are forgotten, and counted when JS owed them.
  OutputQueue d;
  d.reserve(0, false, ConnectionHeader::None, 0);
  d.reserve(1, false, ConnectionHeader::None, 0);
  d.add_ready(2, text("ready"));
  d.reserve(3, false, ConnectionHeader::None, 0);
  check::that(d.owes(0) && d.owes(1) && !d.owes(2) && d.owes(3) && !d.owes(4), "owes");
  check::that(d.drop_after(1) == 1 && d.owed() == 2 && d.unsent() == 0, "2 and 3 dropped; only 3 was JS's");
  check::that(d.fulfil(0, Part::Whole, owed_text("a")) && d.fulfil(1, Part::Whole, owed_text("b")) && d.idle() == false,
              "the rest are answered");
  d.write(a, &sent);
  check::that(drain(b) == "ab" && d.idle(), "and sent");
}

} // namespace

int main() {
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, pair) != 0) return 2;
  ordering(pair[0], pair[1]);
  close(pair[0]);
  close(pair[1]);
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, pair) != 0) return 2;
  backpressure_and_release(pair[0], pair[1]);
  close(pair[0]);
  close(pair[1]);
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, pair) != 0) return 2;
  file_segments(pair[0], pair[1]);
  close(pair[0]);
  close(pair[1]);
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, pair) != 0) return 2;
  streamed(pair[0], pair[1]);
  close(pair[0]);
  return check::summary("output_queue");
}
