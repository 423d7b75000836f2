"""The data tests/test_install.py needs, through the installed app's own commands, in one process
(starting the installed app once per command costs seconds each on a busy machine): a kota, a
kecamatan with two kelurahan and their officials, a coordinator, this quarter's round opened, four
respondents and their links. Run by the venv's python: python install_seed.py OUT PASSWORD."""
import sys
from datetime import date
from pathlib import Path

from survey_app import create_app
from survey_app.domain import quarters

out = Path(sys.argv[1])
(out / "areas.csv").write_text("code,parent_code,level,name\n31,,provinsi,DKI Jakarta\n"
    "3171,31,kota,Jakarta Selatan\n3171010,3171,kecamatan,Tebet\n"
    "3171010001,3171010,kelurahan,Tebet Timur\n3171010002,3171010,kelurahan,Tebet Barat\n")
(out / "officials.csv").write_text("nip,name,position,area_code,unit_code,start_date,end_date\n"
    "198001012005011001,Budi Santoso,lurah,3171010001,,2020-01-01,\n"
    "198202022006022002,Siti Aminah,lurah,3171010002,,2020-01-01,\n"
    "197503032000031003,Agus Salim,camat,3171010,,2020-01-01,\n")
(out / "roster.csv").write_text("respondent_ref,name,group,area_code,rw,rt,phone,email\n"
    + "".join(f"R{n},Warga {n},rt,3171010001,1,{n},,\n" for n in range(1, 5)))
today = date.today()
code = quarters.code_of(today.year, (today.month - 1) // 3 + 1)
first, last = quarters.bounds(*quarters.parse(code))
runner = create_app().test_cli_runner()
for args in (["skm", "import-areas", str(out / "areas.csv")],
             ["skm", "import-officials", str(out / "officials.csv")],
             ["skm", "create-user", "koordinator@example.id", "--role", "coordinator",
              "--password", sys.argv[2]],
             ["skm", "round", "create", code, "--questionnaire", "skm-tokoh-masyarakat-2026",
              "--opens", f"{first}T08:00", "--closes", f"{last}T23:00"],
             ["skm", "round", "open", code],
             ["skm", "import-respondents", code, str(out / "roster.csv")],
             ["skm", "invitations", code, "--format", "csv", "--out", str(out / "links.csv")]):
    result = runner.invoke(args=args)
    print(result.output, end="")
    if result.exit_code:
        sys.exit(f"{' '.join(args)}: exit {result.exit_code}")
print("ROUND", code)
