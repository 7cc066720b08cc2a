/*
 * pyunicode.c: the two Unicode properties of Python 3.11 the judge must
 * match exactly: str.isprintable() (which characters repr() escapes, for
 * the {checkers} list in prompt.c) and str.isdecimal() with its digit
 * value (what \d matches and int() reads, for [[N]] in verdict.c).  The
 * tables come from Python itself (pytables.h, generated).
 */
#include "judge/judge_int.h"
#include "judge/pytables.h"

/* Index of the range of table holding cp, or -1 (ranges sorted, disjoint). */
#define FIND_RANGE(table, cp, out)                                           \
  do {                                                                       \
    size_t lo_ = 0, hi_ = sizeof table / sizeof table[0];                    \
    (out) = -1;                                                              \
    while (lo_ < hi_) {                                                      \
      size_t mid_ = lo_ + (hi_ - lo_) / 2;                                   \
      if ((cp) < table[mid_].lo) {                                           \
        hi_ = mid_;                                                          \
      } else if ((cp) > table[mid_].hi) {                                    \
        lo_ = mid_ + 1;                                                      \
      } else {                                                               \
        (out) = (long)mid_;                                                  \
        break;                                                               \
      }                                                                      \
    }                                                                        \
  } while (0)

bool vf_judge_py_printable(int32_t cp) {
  long at;
  if (cp < 0x80)
    return cp >= 0x20 && cp < 0x7F;
  FIND_RANGE(py_unprintable, cp, at);
  return at < 0;
}

int vf_judge_py_decimal(int32_t cp) {
  long at;
  if (cp < 0x80)
    return cp >= '0' && cp <= '9' ? cp - '0' : -1;
  FIND_RANGE(py_decimal, cp, at);
  return at < 0 ? -1 : (cp - py_decimal[at].lo) % 10;
}
