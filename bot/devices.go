package bot

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"dutybot/push"
)

// DeviceStore keeps the phones members pair for push notifications.
// *push.SQLStore is the real one.
type DeviceStore interface {
	// NewPairingCode gives userID a fresh single-use code valid for ttl.
	NewPairingCode(ctx context.Context, userID string, ttl time.Duration) (string, error)
	// Devices lists userID's phones in the order 我的设备 numbers them.
	Devices(ctx context.Context, userID string) ([]push.Device, error)
	// DeleteDevice removes userID's n-th phone (1-based); push.ErrNoSuchDevice
	// when there is none.
	DeleteDevice(ctx context.Context, userID string, n int) (push.Device, error)
}

// deviceCommands let every active member pair, list and remove phones.
func (s *Service) deviceCommands() []*Command {
	return []*Command{
		{
			Name: "绑定手机", Aliases: []string{"pair"},
			Usage: "绑定手机 / pair", Summary: "获取绑定码，在值班App中绑定手机接收推送 get a code to pair the duty app",
			Run: s.cmdPair,
		},
		{
			Name: "我的设备", Aliases: []string{"devices"},
			Usage: "我的设备 / devices", Summary: "查看已绑定的手机 list your paired phones",
			Run: s.cmdDevices,
		},
		{
			Name: "解绑", Aliases: []string{"unpair"},
			Usage: "解绑 <序号> / unpair <n>", Summary: "解除绑定一台手机 remove a paired phone",
			Run: s.cmdUnpair,
		},
	}
}

// errNoDevices is the reply when push is not set up in this deployment.
var errNoDevices = &UserError{Msg: "本系统未启用手机推送，无法绑定手机。"}

func (s *Service) cmdPair(ctx context.Context, req Request) (string, error) {
	if s.devices == nil {
		return "", errNoDevices
	}
	code, err := s.devices.NewPairingCode(ctx, req.Member.UserID, push.PairingCodeTTL)
	if err != nil {
		return "", err
	}
	until := s.clock.Now().Add(push.PairingCodeTTL).In(s.loc).Format("15:04")
	s.log.Info("pairing code issued", "user", req.Member.UserID)
	return fmt.Sprintf("手机绑定码：%s\n%d 分钟内有效（%s 前），只能使用一次；再次发送「绑定手机」会作废这个码。\n"+
		"请打开值班App，在「绑定手机」页面输入这 6 位数字。绑定后发送「我的设备」查看。",
		code, int(push.PairingCodeTTL/time.Minute), until), nil
}

func (s *Service) cmdDevices(ctx context.Context, req Request) (string, error) {
	if s.devices == nil {
		return "", errNoDevices
	}
	ds, err := s.devices.Devices(ctx, req.Member.UserID)
	if err != nil {
		return "", err
	}
	if len(ds) == 0 {
		return "您还没有绑定手机。发送「绑定手机」获取绑定码。", nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "您绑定的手机（%d 台）：", len(ds))
	for i, d := range ds {
		fmt.Fprintf(&b, "\n%d. %s · 绑定于 %s · 最近使用 %s", i+1, platformLabel(d.Platform),
			s.timeLabel(d.Added), s.timeLabel(d.LastSeen))
	}
	b.WriteString("\n发送「解绑 <序号>」解除绑定，例如「解绑 1」。")
	return b.String(), nil
}

func (s *Service) cmdUnpair(ctx context.Context, req Request) (string, error) {
	if s.devices == nil {
		return "", errNoDevices
	}
	if len(req.Args) != 1 {
		return "", Userf("请写明要解绑第几台手机，例如「解绑 1」。发送「我的设备」查看序号。")
	}
	n, err := strconv.Atoi(strings.TrimPrefix(req.Args[0], "#"))
	if err != nil || n < 1 {
		return "", Userf("「%s」不是设备序号，请写数字，例如「解绑 1」。发送「我的设备」查看序号。", req.Args[0])
	}
	d, err := s.devices.DeleteDevice(ctx, req.Member.UserID, n)
	if errors.Is(err, push.ErrNoSuchDevice) {
		return "", Userf("您没有第 %d 台手机。发送「我的设备」查看序号。", n)
	}
	if err != nil {
		return "", err
	}
	s.log.Info("device unpaired", "user", req.Member.UserID, "device", d.ID, "platform", d.Platform)
	return fmt.Sprintf("已解绑第 %d 台手机（%s，绑定于 %s），它不会再收到值班推送。", n, platformLabel(d.Platform), s.timeLabel(d.Added)), nil
}

// TellDevicePruned tells the member that their phone no longer receives
// pushes because the provider reported its token invalid (reason, e.g.
// "Unregistered"), and how to pair it again. The escalation engine calls it
// after pruning a device; a failure to queue the message is logged.
func (s *Service) TellDevicePruned(ctx context.Context, d push.Device, reason string) {
	phone := "Android"
	if d.Platform == push.IOS {
		phone = "iPhone"
	}
	if reason == "" {
		reason = "推送服务报告设备无效"
	}
	text := fmt.Sprintf("您的 %s 手机推送已失效（%s），请在App中重新绑定（发送「绑定手机」）。", phone, reason)
	if err := s.NotifyWeCom(ctx, d.UserID, text); err != nil {
		s.log.Error("tell member their device was pruned", "user", d.UserID, "device", d.ID, "err", err)
	}
}

// platformLabel names a platform for members.
func platformLabel(p push.Platform) string {
	switch p {
	case push.IOS:
		return "iPhone（iOS）"
	case push.Android:
		return "Android 手机"
	}
	return string(p)
}

// timeLabel shows a time in the office's zone; "—" for never.
func (s *Service) timeLabel(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(s.loc).Format("2006-01-02 15:04")
}
