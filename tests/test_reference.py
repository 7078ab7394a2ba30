from talentstats.profile.reference import population_basis, resident_population

CITY = "441900"  # the frozen test profile's (a copy of Dongguan's)


def test_city_totals_are_the_published_figures(profile):
    pop = resident_population(profile)
    city = pop[pop["unit_code"] == CITY].set_index("year")["population"]
    assert city[2014] == 8_343_100
    assert city[2016] == 8_261_400
    # 2012 is interpolated between the 2010 census (822.02) and 2014 (834.31): 828.165 -> 828.17
    assert city[2012] == 8_281_700
    assert population_basis(profile, 2012).startswith("线性插值")
    assert population_basis(profile, 2011) == ""  # no population that year


def test_units_are_census_shares_of_the_city_total(profile):
    pop = resident_population(profile)
    y = pop[pop["year"] == 2015].set_index("unit_code")["population"]
    # 虎门镇 had 838,144 of 10,466,625 residents at the 2020 census; 2015 city: 825.41 万
    assert y["441900121"] == round(838_144 / 10_466_625 * 8_254_100)
    # the towns add up to the city total, within rounding of 33 units
    assert abs(y.drop(CITY).sum() - y[CITY]) <= 33


def test_parks_without_census_rows_have_no_estimate(profile):
    codes = set(resident_population(profile)["unit_code"])
    assert "441900402" not in codes and "441900403" not in codes
    assert "441900401" in codes  # 松山湖, listed in the census as 松山湖产业园
