package v1alpha1

import (
	"reflect"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fill sets every field reachable from v to a non-zero value, allocating
// pointers, slices and maps, so that a DeepCopy that forgets a field (one
// added later, say) fails the tests below.
func fill(v reflect.Value, seed *int) {
	*seed++
	switch v.Kind() {
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem(), seed)
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Unix(int64(*seed), 0).UTC()))
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i), seed)
			}
		}
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 2, 2)
		fill(s.Index(0), seed)
		fill(s.Index(1), seed)
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fill(k, seed)
		fill(e, seed)
		m.SetMapIndex(k, e)
		v.Set(m)
	case reflect.String:
		v.SetString("s" + time.Duration(*seed).String())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(*seed))
	case reflect.Bool:
		v.SetBool(true)
	default:
		panic("fill: unsupported kind " + v.Kind().String())
	}
}

// mutate changes every reachable value in place, through pointers, slices and maps.
func mutate(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			mutate(v.Elem())
		}
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Unix(1e9, 0)))
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				mutate(v.Field(i))
			}
		}
	case reflect.Slice:
		for i := range v.Len() {
			mutate(v.Index(i))
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			e := reflect.New(v.Type().Elem()).Elem()
			e.Set(v.MapIndex(k))
			mutate(e)
			v.SetMapIndex(k, e)
		}
		v.SetMapIndex(reflect.ValueOf("added").Convert(v.Type().Key()), reflect.New(v.Type().Elem()).Elem())
	case reflect.String:
		v.SetString(v.String() + "!")
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(v.Int() + 1000)
	case reflect.Bool:
		v.SetBool(!v.Bool())
	}
}

func TestDeepCopy(t *testing.T) {
	for _, newObj := range []func() Object{func() Object { return &Endpoint{} }, func() Object { return &APIKey{} }} {
		obj, want := newObj(), newObj() // filled alike, but sharing nothing
		seed := 0
		fill(reflect.ValueOf(obj).Elem(), &seed)
		seed = 0
		fill(reflect.ValueOf(want).Elem(), &seed)
		t.Run(reflect.TypeOf(obj).Elem().Name(), func(t *testing.T) {
			cp := DeepCopyObject(obj)
			if diff := cmp.Diff(want, cp); diff != "" {
				t.Fatalf("copy differs (-want +copy):\n%s", diff)
			}
			mutate(reflect.ValueOf(cp).Elem())
			if diff := cmp.Diff(want, obj); diff != "" {
				t.Errorf("mutating the copy changed the original (-want +got):\n%s", diff)
			}
		})
	}
	if (*Endpoint)(nil).DeepCopy() != nil || (*APIKey)(nil).DeepCopy() != nil || DeepCopyObject(nil) != nil {
		t.Error("DeepCopy of nil is not nil")
	}
}
