package duty

// SpotCheckStore keeps spot checks (查岗).
type SpotCheckStore interface{}
