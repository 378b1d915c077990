// Whether a cell has read the document, decided by what the cell touched rather than by the
// text of its code: a tool marked in the registry as reading it, or the variables `context`
// and `documents`.
//
// Design note. A read of a plain global leaves no trace, so the served variables (those the
// registry marks, tool_registry.hpp) are kept out of the globals table's own fields. rlm's
// metatable on _G hands them out from the originals: the first read in a cell notes the read
// and caches the value as a raw field, so later reads cost what any global costs. At the next
// cell's start the cache is taken back. That metatable is out of the code's reach:
// setmetatable(_G, mt) and getmetatable(_G) act on a stand-in table, whose metatable's
// __index and __newindex rlm's own then consult, so code can still give _G a metatable.
#pragma once

#include "rlm/lua/tool_registry.hpp"

#include <array>
#include <cstddef>
#include <vector>

struct lua_State;

namespace rlm::lua {

class DocumentAccess {
public:
  // Installs rlm's metatable on the globals table of `L` and the stand-in for the code's
  // own. Call once, when the libraries are opened.
  static void install(lua_State* L);
  // When the value at `index` is the globals table, replaces it with the stand-in and
  // returns true: what setmetatable and getmetatable do to _G, they do to the stand-in.
  static bool redirect_globals(lua_State* L, int index);

  // A new cell: nothing read yet.
  void begin_cell() { m_read = false; }
  bool read_document() const { return m_read; }
  void note_read() { m_read = true; }
  // Whether the value at `index` is the text of the document (`context` or a document's).
  bool is_document_text(lua_State* L, int index) const;
  // Keeps the string at `index` alive (in the registry) as one of the document's texts.
  // Reserve first: this never allocates outside Lua.
  void add_text(lua_State* L, int index);
  void reserve_texts(std::size_t count) { m_texts.reserve(count); }

  // Pushes the original value of the served variable named by the string at `index` and
  // notes the read; false, pushing nothing, when it is none or this cell replaced it.
  bool push_served(lua_State* L, int index);
  // At a cell's start, with _G at absolute index `globals` and the originals at `saved`:
  // takes back the raw copy the last cell cached of served variable number `served`, named
  // by the string on top (left there); true when that cell had replaced it.
  bool take_back(lua_State* L, int globals, int saved, std::size_t served);

private:
  enum class State : unsigned char { fresh, cached, replaced };
  static int index_globals(lua_State* L);
  static int newindex_globals(lua_State* L);
  int serve(lua_State* L, std::size_t served);

  std::array<State, k_served_count> m_state{};
  bool m_read = false;
  std::vector<const char*> m_texts; // the document's strings, anchored in the registry
};

} // namespace rlm::lua
