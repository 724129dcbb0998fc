"""The seeded demo, planned by the production settings: every day with vans and orders has routes for them."""


def test_every_seeded_depot_day_with_shifts_and_jobs_has_a_plan_that_serves_its_jobs(healthy_stack):
    days = healthy_stack.seeded_plans

    assert days, "the seed booked nothing"
    unserved = [(depot, day, jobs, planned) for depot, day, jobs, planned in days if planned < jobs]
    assert not unserved, f"depot-days whose seeded plan leaves jobs out (depot, day, jobs, planned): {unserved}"
