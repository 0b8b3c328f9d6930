"""Fixed vocabularies the seed generator draws from (names, cities, products)."""

from __future__ import annotations

BUYER_NAME = "COMERCIAL EXEMPLO DO BRASIL LTDA"

COMPANY_NAMES: tuple[str, ...] = (
    "ACME INDUSTRIA E COMERCIO LTDA",
    "DISTRIBUIDORA PAULISTA DE ALIMENTOS S.A.",
    "METALURGICA VALE DO AÇO LTDA",
    "TRANSPORTADORA RODOSUL LTDA",
    "CONSULTORIA ÁGIL SERVIÇOS DE TI LTDA",
    "PAPELARIA CENTRAL EIRELI",
    "ENERGIA LIMPA SOLUÇÕES S.A.",
    "LOGISTICA NORDESTE EXPRESS LTDA",
    "QUIMICA FINA DO SUL LTDA",
    "MOVEIS & CIA COMERCIO LTDA",
    "AGRO CERRADO INSUMOS AGRICOLAS LTDA",
    "LIMPEZA TOTAL FACILITIES LTDA",
)

PERSON_NAMES: tuple[str, ...] = (
    "João da Silva",
    "Maria Oliveira Santos",
    "Ana Paula Ferreira",
    "Carlos Eduardo Souza",
    "Fernanda Lima Costa",
)

# (city, IBGE city code, UF, IBGE UF code)
CITIES: tuple[tuple[str, str, str, int], ...] = (
    ("São Paulo", "3550308", "SP", 35),
    ("Campinas", "3509502", "SP", 35),
    ("Curitiba", "4106902", "PR", 41),
    ("Porto Alegre", "4314902", "RS", 43),
    ("Belo Horizonte", "3106200", "MG", 31),
    ("Rio de Janeiro", "3304557", "RJ", 33),
    ("Salvador", "2927408", "BA", 29),
    ("Recife", "2611606", "PE", 26),
    ("Goiânia", "5208707", "GO", 52),
    ("Florianópolis", "4205407", "SC", 42),
)

STREETS: tuple[str, ...] = (
    "Avenida Paulista",
    "Rua XV de Novembro",
    "Avenida Brasil",
    "Rua das Flores",
    "Avenida Sete de Setembro",
    "Rua Marechal Deodoro",
)

# (description, NCM, unit)
PRODUCTS: tuple[tuple[str, str, str], ...] = (
    ("PARAFUSO SEXTAVADO ACO INOX M8", "73181500", "UN"),
    ("PAPEL A4 75G RESMA 500 FOLHAS", "48025610", "PCT"),
    ("CABO FLEXIVEL 2,5MM 100M", "85444900", "RL"),
    ("OLEO LUBRIFICANTE 20L", "27101932", "BD"),
    ("NOTEBOOK 14 POL 16GB RAM", "84713012", "UN"),
    ("CAFE TORRADO EM GRAOS 1KG", "09012100", "KG"),
    ("LUVA NITRILICA CAIXA 100UN", "40151900", "CX"),
    ("TINTA ACRILICA BRANCA 18L", "32091010", "LT"),
    ("CHAPA DE ACO CARBONO 3MM", "72085200", "KG"),
    ("DETERGENTE NEUTRO 5L", "34022000", "GL"),
)

# (LC 116 service code, description)
SERVICES: tuple[tuple[str, str], ...] = (
    ("1.07", "SUPORTE TECNICO EM INFORMATICA"),
    ("7.10", "LIMPEZA E CONSERVACAO DE IMOVEIS"),
    ("17.01", "ASSESSORIA OU CONSULTORIA"),
    ("14.01", "MANUTENCAO DE MAQUINAS E EQUIPAMENTOS"),
    ("11.02", "VIGILANCIA E SEGURANCA"),
)

PAYMENT_METHODS: tuple[str, ...] = ("PIX", "BOLETO", "TED")
