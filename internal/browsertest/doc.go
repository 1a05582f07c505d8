// Package browsertest drives the demo server's pages in a real headless
// Chromium (github.com/chromedp/chromedp): the simulator at /demo/ and the
// console board at /console/. The tests start the demo office in-process
// on 127.0.0.1:0.
//
// Chromium is found through DUTYBOT_TEST_CHROMIUM, else chromium,
// chromium-browser or google-chrome on PATH. Without one the tests skip,
// except under CI=true, where a missing browser is a failure (.ci/run
// installs Debian's chromium). Screenshots go to DUTYBOT_TEST_SCREENSHOTS
// when set, else to the test's temporary directory.
package browsertest
