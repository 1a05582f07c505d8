package roster_test

import (
	"context"
	"testing"

	"dutybot/roster"
)

// FuzzParseImport: any CSV bytes are either read into a plan or reported
// as errors by row; nothing panics, and a plan without errors only holds
// assignments for the slots it names.
func FuzzParseImport(f *testing.F) {
	f.Add([]byte("日期,班次,角色,人员\n2026-12-25,白班,值班员,张三\n2026-12-25,白班,带班领导,王五\n"))
	f.Add([]byte("date,shift,role,member\n12-25,夜班,officer,zhangsan\n"))
	f.Add([]byte("\xef\xbb\xbf日期,班次,角色,姓名,账号\n2026-12-25,白班,值班员,张三,zhangsan\n"))
	f.Add([]byte("日期;班次;角色;人员\n2026-13-45;早班;司机;某人\n"))
	f.Add([]byte("\"unterminated,quote\n"))
	f.Add([]byte{0xff, 0xfe, 0x00})
	env := importEnv()
	f.Fuzz(func(t *testing.T, data []byte) {
		plan, err := roster.ParseImport(context.Background(), "roster.csv", data, env)
		if err != nil {
			return
		}
		if len(plan.Errors) > 0 {
			return
		}
		slots := make(map[roster.Slot]bool)
		for _, s := range plan.Slots {
			slots[s] = true
		}
		for _, a := range plan.Assignments {
			if !slots[a.Slot()] {
				t.Fatalf("assignment %v outside the plan's slots %v", a, plan.Slots)
			}
		}
	})
}
