package bot

// scheduleCommands are the roster queries and changes.
func (s *Service) scheduleCommands() []*Command { return nil }
