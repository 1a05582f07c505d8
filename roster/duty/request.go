package duty

// RequestStore keeps swap and leave requests (换班/请假) and their decisions.
type RequestStore interface{}
