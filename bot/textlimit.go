package bot

import (
	"fmt"
	"strings"
)

// fitNewestNoteRoom is the room fitNewest keeps for its note on what was
// left out.
const fitNewestNoteRoom = 120

// fitNewest is head followed by lines, one per line, keeping the newest
// (last) lines that fit in limit bytes with room for a note; when the
// earliest do not fit, omitted (a format with one %d, how many were left
// out) follows head on its own line. fitLines is the same for keeping the
// first lines.
func fitNewest(head string, lines []string, limit int, omitted string) string {
	size := len(head)
	first := len(lines)
	for first > 0 && size+1+len(lines[first-1])+fitNewestNoteRoom <= limit {
		first--
		size += 1 + len(lines[first])
	}
	var b strings.Builder
	b.WriteString(head)
	if first > 0 {
		fmt.Fprintf(&b, "\n"+omitted, first)
	}
	for _, l := range lines[first:] {
		b.WriteString("\n")
		b.WriteString(l)
	}
	return b.String()
}
