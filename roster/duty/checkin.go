package duty

// CheckinStore keeps check-ins (签到/签退) and absences (空岗/脱岗).
type CheckinStore interface{}
