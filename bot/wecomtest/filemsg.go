package wecomtest

import (
	"strconv"
	"time"
)

// FileMsgXML returns the plaintext of a file a member sent to the app
// (MsgType=file): mediaID is what media/get downloads (register the bytes
// with [Fake.AddMedia]) and fileName the name the member's phone shows.
func FileMsgXML(corpID, from, mediaID, fileName string, msgID int64, at time.Time, agentID int) []byte {
	return newXML().head(corpID, from, at, "file").
		cdata("MediaId", mediaID).
		cdata("FileName", fileName).
		plain("MsgId", strconv.FormatInt(msgID, 10)).
		plain("AgentID", strconv.Itoa(agentID)).
		bytes()
}
