# cookiecutter-django-atomic: the two commands the README leads with.
#   make demo   bake a project with the defaults into build/ (once), seed demo data and serve it
#   make test   run the template's whole test suite (PostgreSQL and Redis: the configured ones
#               when they answer, embedded ones from the virtualenv otherwise)
#   make clean  remove build/ (the baked project, its .env and its database): the next demo starts over

PYTHON ?= python3
VENV ?= .venv
BIN := $(abspath $(VENV))/bin
BUILD ?= build
SLUG := facility_platform
PROJECT := $(BUILD)/$(SLUG)
DEMO_ADDRESS ?= 127.0.0.1:8000
TEST_WORKERS ?= 2

.PHONY: demo test bake install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements-test.txt {{cookiecutter.project_slug}}/requirements/*.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements-test.txt
	touch $@

install: $(VENV)/.installed

# The project is baked once: a second `make demo` keeps every change made in build/, its .env
# (secret key, DEMO_PASSWORD from which the demo logins' passwords derive) and its database. `make clean` starts over.
$(PROJECT)/manage.py: | install
	$(BIN)/cookiecutter . --no-input --output-dir $(BUILD)

bake: $(PROJECT)/manage.py

demo: bake
	cd $(PROJECT) && $(BIN)/python manage.py migrate --verbosity 0
	cd $(PROJECT) && $(BIN)/python manage.py seed_demo
	@cd $(PROJECT) && $(BIN)/python manage.py create_demo_staff
	@echo "The project is in $(PROJECT): cd $(PROJECT) to work on it (its README.md starts with a quick start)."
	@echo "Serving on http://$(DEMO_ADDRESS)/ (Ctrl-C to stop; DEMO_ADDRESS=host:port to change)"
	cd $(PROJECT) && $(BIN)/python manage.py runserver $(DEMO_ADDRESS)

# tests/conftest.py starts embedded PostgreSQL/Redis where nothing answers at
# TEMPLATE_TEST_POSTGRES_URL / TEMPLATE_TEST_REDIS_URL, and stops them at the end.
test: install
	$(BIN)/python -m pytest tests -n $(TEST_WORKERS) $(PYTEST_ARGS)

clean:
	rm -rf $(BUILD) .pytest_cache
