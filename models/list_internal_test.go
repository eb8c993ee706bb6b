package models

import (
	"reflect"
	"testing"
)

// mappings pairs each entity with its generated filter and order-field
// types, so that the test below can check the schema and the engine agree.
var mappings = []struct {
	e      *entity
	filter any
	orders any
}{
	{organizations, OrganizationFilter{}, AllOrganizationOrderField},
	{people, PersonFilter{}, AllPersonOrderField},
	{positions, PositionFilter{}, AllPositionOrderField},
	{initiatives, InitiativeFilter{}, AllInitiativeOrderField},
	{initiativeRelations, InitiativeRelationFilter{}, AllInitiativeRelationOrderField},
	{partnerships, PartnershipFilter{}, AllPartnershipOrderField},
	{meetings, MeetingFilter{}, AllMeetingOrderField},
	{participants, ParticipantFilter{}, AllParticipantOrderField},
	{outcomes, OutcomeFilter{}, AllOutcomeOrderField},
	{statements, StatementFilter{}, AllStatementOrderField},
	{actionItems, ActionItemFilter{}, AllActionItemOrderField},
	{metrics, MetricFilter{}, AllMetricOrderField},
	{statistics, StatisticFilter{}, AllStatisticOrderField},
	{results, ResultFilter{}, AllResultOrderField},
	{indicators, IndicatorFilter{}, AllIndicatorOrderField},
	{sources, SourceFilter{}, AllSourceOrderField},
	{citations, CitationFilter{}, AllCitationOrderField},
	{places, PlaceFilter{}, AllPlaceOrderField},
	{topics, TopicFilter{}, AllTopicOrderField},
	{topicPlaces, TopicPlaceFilter{}, AllTopicPlaceOrderField},
}

// TestSchemaMapping checks that every filter field and every order field of
// the schema is mapped to a column, a relation or a special filter, and that
// relation filters lead to the entity their filter type describes.
func TestSchemaMapping(t *testing.T) {
	filterOf := map[reflect.Type]*entity{}
	for _, m := range mappings {
		filterOf[reflect.TypeOf(m.filter)] = m.e
	}
	// isNull is on the filters that the to-one relations of filters lead
	// to, and on no other. A to-one relation that no filter names (such as
	// Indicator.baseline, fetched but not filtered on) leads nowhere here.
	toOneTarget := map[*entity]bool{}
	for _, m := range mappings {
		for name, l := range m.e.links {
			if l.kind != toOne {
				continue
			}
			if _, ok := filterField(reflect.TypeOf(m.filter), name); ok {
				toOneTarget[l.to] = true
			}
		}
	}
	for _, m := range mappings {
		ft := reflect.TypeOf(m.filter)
		if _, ok := ft.FieldByName("IsNull"); ok != toOneTarget[m.e] {
			t.Errorf("%s: has isNull = %v, but a to-one relation leads to %s = %v", ft.Name(), ok, m.e.node, toOneTarget[m.e])
		}
		for i := range ft.NumField() {
			sf := ft.Field(i)
			name := jsonName(sf)
			switch name {
			case "and", "or", "not", "isNull":
				continue
			}
			if _, ok := m.e.fields[name]; ok {
				continue
			}
			if _, ok := m.e.specials[name]; ok {
				continue
			}
			l, ok := m.e.links[name]
			if !ok {
				t.Errorf("%s: filter field %q is not mapped", ft.Name(), name)
				continue
			}
			target := sf.Type.Elem()
			if l.kind != toOne { // a list filter: {some, every, none} of the target's filter
				some, _ := target.FieldByName("Some")
				target = some.Type.Elem()
			}
			if filterOf[target] != l.to {
				t.Errorf("%s.%s leads to %s, but its filter type is %s", ft.Name(), name, l.to.node, target.Name())
			}
		}
		ov := reflect.ValueOf(m.orders)
		for i := range ov.Len() {
			v := ov.Index(i).String()
			if _, ok := m.e.fields[enumToField(v)]; !ok {
				t.Errorf("%s: order field %s is not mapped", m.e.node, v)
			}
		}
	}
}

func TestEnumToField(t *testing.T) {
	for in, want := range map[string]string{"NAME": "name", "FOUNDED_YEAR": "foundedYear", "AS_OF": "asOf", "ID": "id"} {
		if got := enumToField(in); got != want {
			t.Errorf("enumToField(%q) = %q, want %q", in, got, want)
		}
	}
}

// filterField returns the field of filter type ft whose GraphQL name is name.
func filterField(ft reflect.Type, name string) (reflect.StructField, bool) {
	for i := range ft.NumField() {
		if jsonName(ft.Field(i)) == name {
			return ft.Field(i), true
		}
	}
	return reflect.StructField{}, false
}
