package modelstest

import (
	"reflect"
	"testing"

	"tracker/models"
)

// MustCreate inserts rows as they are (their Version set to 1), filling in
// their IDs, and fails the test on error. It writes below the Store's
// validation: fixtures may build states the API cannot.
func MustCreate[T any](t testing.TB, store *models.Store, rows ...*T) {
	t.Helper()
	for _, r := range rows {
		if v := reflect.ValueOf(r).Elem().FieldByName("Version"); v.IsValid() && v.Int() == 0 {
			v.SetInt(1)
		}
		if err := store.DB().Create(r).Error; err != nil {
			t.Fatalf("create %T: %v", r, err)
		}
	}
}

// MustExec runs a statement, such as filling a join table, and fails the
// test on error.
func MustExec(t testing.TB, store *models.Store, sql string, args ...any) {
	t.Helper()
	if err := store.DB().Exec(sql, args...).Error; err != nil {
		t.Fatalf("exec %q: %v", sql, err)
	}
}

// Ptr returns a pointer to v.
func Ptr[T any](v T) *T { return &v }
