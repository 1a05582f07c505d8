package duty

// HandoverStore keeps handovers (交接班) and their two signatures.
type HandoverStore interface{}
