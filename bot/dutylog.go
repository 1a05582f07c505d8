package bot

// logCommands are 记录, 待办, 办结, 更正 and 日志.
func (s *Service) logCommands() []*Command { return nil }
