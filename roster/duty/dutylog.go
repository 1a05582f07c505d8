package duty

// LogStore keeps the duty log (值班日志) and its pending items (待办).
type LogStore interface{}
